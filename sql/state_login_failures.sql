-- Failed logins that throttle the next attempt.
-- one row: the user's failures since its last successful login, when the last one was, and
-- the failures from :address at or after :since (any user name).
SELECT
    (
        SELECT count(*)
        FROM audit
        WHERE action = 'login.failed'
          AND subject_kind = 'user'
          AND subject_id = :user
          AND id > coalesce(
              (
                  SELECT max(id) FROM audit
                  WHERE action = 'login.ok' AND subject_kind = 'user' AND subject_id = :user
              ),
              0
          )
    ) AS user_failures,
    (
        SELECT max(at) FROM audit
        WHERE action = 'login.failed' AND subject_kind = 'user' AND subject_id = :user
    ) AS user_last_failure,
    (
        SELECT count(*) FROM audit
        WHERE action = 'login.failed'
          AND at >= :since
          AND json_extract(details, '$.address') = :address
    ) AS address_failures;
