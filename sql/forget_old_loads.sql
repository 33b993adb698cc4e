-- Mark every load but the $keep most recent as no longer keeping its tables (the history
-- rows of those loads are then dropped by dataset_history_prune).
UPDATE loads SET tables_kept = false
WHERE tables_kept
  AND load_id NOT IN (SELECT load_id FROM loads ORDER BY load_id DESC LIMIT $keep);
