-- error_rate from the raw `events` table (bench only): what
-- clickhouse/queries/error_rate.sql answers from js_errors_by_hour and
-- page_stats_by_hour, same parameters, same row. The views bucket by UTC
-- hour and the query cuts at hour boundaries of the zone, which equals
-- cutting event_time itself for a whole-hour zone such as America/Chicago.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to
SELECT
    (SELECT count() FROM events
     WHERE event = 'JS Error' AND is_bot = 0 AND event_time >= p_from AND event_time < p_to) AS errors,
    (SELECT count() FROM events
     WHERE event = 'page' AND is_bot = 0 AND event_time >= p_from AND event_time < p_to) AS page_views,
    if(page_views = 0, NULL, errors / page_views) AS error_rate,
    (
        SELECT groupArray((error_message, n))
        FROM
        (
            SELECT error_message, count() AS n
            FROM events
            WHERE event = 'JS Error' AND is_bot = 0 AND event_time >= p_from AND event_time < p_to
            GROUP BY error_message
            ORDER BY n DESC, error_message
            LIMIT {limit:UInt32}
        )
    ) AS by_message
