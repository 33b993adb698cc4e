-- Saved what-if scenario records, oldest first, optionally of one name.
SELECT id, name, path, sha256, who, at
FROM saved_scenarios
WHERE (:name IS NULL OR name = :name)
ORDER BY id;
