-- traffic: visitors, sessions and page views in [from, to) of the reporting
-- zone, bots left out (the total row only; with group_by the read API runs
-- traffic_by_<group_by>.sql, which adds one row per value of the session's
-- attribute).
-- visitors   = distinct anonymousIds with an event in the period;
-- sessions   = sessions starting in the period (a session belongs to the
--              period in which it starts);
-- page_views = page events in the period.
-- No session attribute is selected, so session_spans computes none.
SELECT
    1 AS is_total,
    '' AS key,
    uniqExactIf(anonymous_id, events_in_period > 0) AS visitors,
    countIf(starts_in_period) AS sessions,
    sum(page_views_in_period) AS page_views
FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
