-- return_visits from the raw `events` table (bench only): what
-- clickhouse/queries/return_visits.sql answers with visitor_first_seen,
-- "seen before the period" read as any non-bot event before it in events.
-- return_visits: among visitors in [from, to) (an event in the period, bots
-- left out): those with 2+ sessions starting in the period, and returning
-- visitors (a non-bot event of theirs before the period, at any time), each
-- with its share of the visitors (null when there are none).
WITH toDateTime64({from:String}, 3, {tz:String}) AS p_from
SELECT
    count() AS visitors,
    countIf(sessions >= 2) AS multi_session_visitors,
    if(visitors = 0, NULL, multi_session_visitors / visitors) AS multi_session_share,
    countIf(anonymous_id IN (
        SELECT anonymous_id FROM events
        WHERE anonymous_id != '' AND is_bot = 0 AND event_time < p_from
    )) AS returning_visitors,
    if(visitors = 0, NULL, returning_visitors / visitors) AS returning_share
FROM
(
    SELECT anonymous_id, countIf(starts_in_period) AS sessions
    FROM session_spans(period_from = {from:String}, period_to = {to:String}, tz = {tz:String})
    GROUP BY anonymous_id
    HAVING sum(events_in_period) > 0
)
