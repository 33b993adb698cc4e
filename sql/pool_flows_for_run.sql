-- One pool's planned flows in a run, month by month: what each line makes into it (a line
-- feeds its stock holder's pool, else its own), what it ships to each partner, and what
-- arrives at it from each source (a partner's pool).
-- one row per flow (made | shipped | arrived), counterpart, month
WITH feeding AS (
    SELECT source_id FROM sources WHERE coalesce(stock_holder, source_id) = $holder_id
)
SELECT 'made' AS flow, source_id AS counterpart, month, sum(units) AS units
FROM plan_production
WHERE run_id = $run_id AND item_id = $item_id AND source_id IN (SELECT source_id FROM feeding)
GROUP BY ALL
UNION ALL
SELECT 'shipped' AS flow, partner_id AS counterpart, month, sum(units) AS units
FROM plan_shipments
WHERE run_id = $run_id AND item_id = $item_id AND source_id IN (SELECT source_id FROM feeding)
GROUP BY ALL
UNION ALL
SELECT 'arrived' AS flow, source_id AS counterpart, arrival_month AS month, sum(units) AS units
FROM plan_shipments
WHERE run_id = $run_id AND item_id = $item_id AND partner_id = $holder_id
GROUP BY ALL
ORDER BY month, flow, counterpart;
