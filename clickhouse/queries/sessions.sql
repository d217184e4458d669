-- sessions: sessions starting in [from, to) (bots left out), their mean and
-- median duration in seconds (last event - first event; one-event sessions
-- last 0; events after the period's end still belong to a session that
-- started inside it), and the bounce rate = sessions with exactly one page
-- event / all sessions (sessions with no page event count in the denominator,
-- not as bounces).
-- The mean is the exact integer sum of milliseconds / sessions / 1000, so it
-- does not depend on the order the engine adds durations up in.
SELECT
    count() AS sessions,
    if(sessions = 0, NULL, sum(duration_ms) / sessions / 1000) AS mean_duration_s,
    if(sessions = 0, NULL, quantileExact(0.5)(duration_s)) AS median_duration_s,
    countIf(page_views = 1) AS bounces,
    if(sessions = 0, NULL, bounces / sessions) AS bounce_rate
FROM
(
    SELECT dateDiff('millisecond', started_at, ended_at) AS duration_ms, duration_ms / 1000 AS duration_s, page_views
    FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
    WHERE starts_in_period
)
