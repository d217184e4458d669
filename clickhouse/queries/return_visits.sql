-- return_visits: among visitors in [from, to) (an event in the period, bots
-- left out): those with 2+ sessions starting in the period, and returning
-- visitors (a non-bot event of theirs before the period, at any time), each
-- with its share of the visitors (null when there are none).
-- "Before the period" reads visitor_first_seen (migration 0221): a visitor was
-- seen before p_from exactly when one of its rows there is before p_from, so
-- parts not merged yet change nothing.
WITH toDateTime64({from:String}, 3, {tz:String}) AS p_from
SELECT
    count() AS visitors,
    countIf(sessions >= 2) AS multi_session_visitors,
    if(visitors = 0, NULL, multi_session_visitors / visitors) AS multi_session_share,
    countIf(anonymous_id IN (
        SELECT anonymous_id FROM visitor_first_seen WHERE first_seen < p_from
    )) AS returning_visitors,
    if(visitors = 0, NULL, returning_visitors / visitors) AS returning_share
FROM
(
    SELECT anonymous_id, countIf(starts_in_period) AS sessions
    FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
    GROUP BY anonymous_id
    HAVING sum(events_in_period) > 0
)
