-- Backlog per partner and item, in units and in USD at the item's unit cost.
-- one row per partner, item with open commitments
WITH final AS (
    SELECT
        b.partner_id,
        b.item_id,
        count(*) FILTER (WHERE b.backlog_units > 0) AS open_commitments,
        sum(b.backlog_units) AS backlog_units,
        sum(b.backlog_units * i.unit_cost_usd) AS backlog_usd
    FROM backlog AS b
    JOIN items AS i USING (item_id)
    GROUP BY b.partner_id, b.item_id
)

SELECT * FROM final
WHERE backlog_units > 0
ORDER BY partner_id, item_id;
