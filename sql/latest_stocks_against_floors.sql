-- Each holder's latest stock count against its floor and target.
-- one row per holder, item
WITH final AS (
    SELECT
        holder_id,
        item_id,
        as_of,
        units,
        floor_units,
        target_units,
        units - floor_units AS above_floor_units,
        CASE
            WHEN units < floor_units THEN 'below floor'
            WHEN target_units IS NOT NULL AND units < target_units THEN 'below target'
            ELSE 'ok'
        END AS status
    FROM latest_stocks
)

SELECT * FROM final
ORDER BY holder_id, item_id;
