-- login_success: `Signed In` / (`Signed In` + `Sign In Failed`) in [from, to),
-- per sign-in method ('' when none was sent); the shape adds the totals.
SELECT
    toString(method) AS method,
    countIf(event = 'Signed In') AS signed_in,
    countIf(event = 'Sign In Failed') AS sign_in_failed,
    if(signed_in + sign_in_failed = 0, NULL, signed_in / (signed_in + sign_in_failed)) AS login_success
FROM events
WHERE event IN ('Signed In', 'Sign In Failed')
  AND event_time >= toDateTime64({from:String}, 3, {tz:String})
  AND event_time < toDateTime64({to:String}, 3, {tz:String})
GROUP BY method
ORDER BY signed_in + sign_in_failed DESC, method
