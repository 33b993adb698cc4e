-- Append one row to the audit trail; returns its id.
INSERT INTO audit (at, who, action, subject_kind, subject_id, details)
VALUES (:at, :who, :action, :subject_kind, :subject_id, :details)
RETURNING id;
