-- devices: per device class of the session (its first event with a known
-- device; 'unknown' for sessions of server events only): sessions starting in
-- [from, to) and distinct visitors with an event in the period in sessions of
-- that class. Bots are left out. The shape adds mobile_share =
-- (mobile + tablet sessions) / sessions.
SELECT
    device,
    countIf(starts_in_period) AS sessions,
    uniqExactIf(anonymous_id, events_in_period > 0) AS visitors
FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
GROUP BY device
ORDER BY sessions DESC, device
