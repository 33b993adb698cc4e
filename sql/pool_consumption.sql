-- One stock's recorded monthly consumption, oldest first.
SELECT month, units
FROM consumption
WHERE holder_id = $holder_id AND item_id = $item_id
ORDER BY month;
