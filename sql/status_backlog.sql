-- Backlog per partner and item, in units and in USD at the item's unit cost.
-- one row per partner, item with open commitments
WITH delivered AS (
    SELECT commitment_id, sum(units) AS delivered_units
    FROM deliveries
    GROUP BY commitment_id
),

open_commitments AS (
    SELECT
        c.partner_id,
        c.item_id,
        greatest(c.quantity - coalesce(d.delivered_units, 0), 0) AS backlog_units
    FROM commitments AS c
    LEFT JOIN delivered AS d USING (commitment_id)
),

final AS (
    SELECT
        o.partner_id,
        o.item_id,
        count(*) FILTER (WHERE o.backlog_units > 0) AS open_commitments,
        sum(o.backlog_units) AS backlog_units,
        sum(o.backlog_units * i.unit_cost_usd) AS backlog_usd
    FROM open_commitments AS o
    JOIN items AS i USING (item_id)
    GROUP BY o.partner_id, o.item_id
)

SELECT * FROM final
WHERE backlog_units > 0
ORDER BY partner_id, item_id;
