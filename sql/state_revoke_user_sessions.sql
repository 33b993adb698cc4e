-- Revoke every live session of a user; one row per session revoked.
UPDATE sessions
SET revoked_at = :at
WHERE user = :user AND revoked_at IS NULL
RETURNING token_hash;
