-- The audit trail, oldest first: one row per recorded action, optionally for one subject.
SELECT id, at, who, action, subject_kind, subject_id, details
FROM audit
WHERE (:subject_kind IS NULL OR subject_kind = :subject_kind)
  AND (:subject_id IS NULL OR subject_id = :subject_id)
ORDER BY id;
