-- Release a firmed row that is still in force; returns its id when there was one.
UPDATE firmed_shipments
SET released_at = :at, released_by = :who
WHERE id = :id AND released_at IS NULL
RETURNING id;
