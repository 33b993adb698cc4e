-- v2: failed logins are counted from the audit trail by action and time (login throttling).
CREATE INDEX audit_by_action ON audit (action, at);

PRAGMA user_version = 2;
