-- A simulation's uncertain lines, most critical first.
SELECT source_id, item_id, kind, criticality, lateness_saved
FROM simulation_lines
WHERE run_id = $run_id
ORDER BY abs(criticality) DESC NULLS LAST, source_id, item_id, kind;
