-- Revoke one live session; returns its user when there was one to revoke.
UPDATE sessions
SET revoked_at = :at
WHERE token_hash = :token_hash AND revoked_at IS NULL
RETURNING user;
