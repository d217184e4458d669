-- landing_pages: per landing page (path of the session's first page event),
-- over the sessions starting in [from, to): sessions, distinct visitors of
-- those sessions, sessions containing an `Order Completed`, and
-- conversion = converted_sessions / sessions. Bots left out; sessions with no
-- page event have no landing page and are not listed.
SELECT
    landing_page,
    count() AS sessions,
    uniqExact(anonymous_id) AS visitors,
    countIf(orders > 0) AS converted_sessions,
    if(sessions = 0, NULL, converted_sessions / sessions) AS conversion
FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
WHERE starts_in_period AND landing_page != ''
GROUP BY landing_page
ORDER BY sessions DESC, landing_page
LIMIT {limit:UInt32}
