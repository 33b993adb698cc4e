-- The session with this token hash if it is neither revoked nor idle since before :cutoff.
SELECT token_hash, user, role, partner, created_at, last_seen_at
FROM sessions
WHERE token_hash = :token_hash
  AND revoked_at IS NULL
  AND last_seen_at >= :cutoff;
