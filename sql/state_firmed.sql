-- Firmed shipments and pinned completions, one row each, oldest first; released ones on request.
SELECT id, source_id, commitment_id, partner_id, item_id, month, units, kind, who, at,
       released_at, released_by
FROM firmed_shipments
WHERE :include_released OR released_at IS NULL
ORDER BY id;
