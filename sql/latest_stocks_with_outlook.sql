-- Each stock pool's latest count, floor and target, with the projection's outlook for a run.
-- one row per holder, item; outlook columns are NULL when the run has none for the pool
WITH outlook AS (
    SELECT *
    FROM stock_outlook
    WHERE run_id = $run_id
),

final AS (
    SELECT
        l.holder_id,
        l.item_id,
        l.as_of,
        l.units,
        l.floor_units,
        l.target_units,
        l.releasable_to,
        l.units < l.floor_units AS below_floor_now,
        o.floor_breach_p10,
        o.floor_breach_p50,
        o.floor_breach_p90,
        o.target_reached_p10,
        o.target_reached_p50,
        o.target_reached_p90,
        o.breach_probability_3,
        o.breach_probability_6,
        o.breach_probability_12
    FROM latest_stocks AS l
    LEFT JOIN outlook AS o USING (holder_id, item_id)
)

SELECT * FROM final
ORDER BY holder_id, item_id;
