-- Promises already past their promised month with units still owed, as of the last month of
-- recorded consumption (the end of the data's history): late on the record, before any plan.
-- one row per overdue commitment, most months overdue first
WITH as_of AS (
    SELECT max(month) AS last_month FROM consumption
),

final AS (
    SELECT
        b.commitment_id,
        b.partner_id,
        b.item_id,
        b.priority,
        b.promised_month,
        b.backlog_units,
        b.backlog_units * i.unit_cost_usd AS backlog_usd,
        date_diff('month', b.promised_month, a.last_month) AS months_overdue
    FROM backlog AS b
    CROSS JOIN as_of AS a
    JOIN items AS i USING (item_id)
    WHERE b.backlog_units > 0
      AND b.promised_month <= a.last_month
)

SELECT * FROM final
ORDER BY months_overdue DESC, backlog_usd DESC, commitment_id;
