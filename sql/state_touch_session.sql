-- Mark a live session seen at :at: not revoked, not idle since before :cutoff (an expired
-- session is never revived), and not already seen at or after :stale_before.
UPDATE sessions
SET last_seen_at = :at
WHERE token_hash = :token_hash
  AND revoked_at IS NULL
  AND last_seen_at >= :cutoff
  AND last_seen_at < :stale_before
RETURNING user;
