-- A new login session, stored under the hash of its token.
INSERT INTO sessions (token_hash, user, role, partner, created_at, last_seen_at, revoked_at)
VALUES (:token_hash, :user, :role, :partner, :at, :at, NULL);
