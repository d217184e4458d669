-- live: the last {minutes} complete UTC minutes before now (the current,
-- partial minute is left out) from events_by_minute, every event counted
-- (bots too: this is the pipeline's throughput), minute by minute with
-- missing minutes as 0; active visitors = distinct anonymousIds with a
-- non-bot event in the last 5 minutes; top pages = non-bot page views in the
-- last 5 minutes by path ({limit} of them). The period parameters are not used.
WITH
    toStartOfMinute(now('UTC')) AS this_minute,
    this_minute - toIntervalMinute({minutes:UInt32}) AS since,
    now64(3, 'UTC') - INTERVAL 5 MINUTE AS recent
SELECT
    (
        SELECT groupArray((m, ifNull(n, 0)))
        FROM
        (
            SELECT m, n
            FROM (SELECT arrayJoin(arrayMap(i -> since + toIntervalMinute(i), range({minutes:UInt32}))) AS m) AS grid
            LEFT JOIN
            (
                SELECT minute, sum(events) AS n
                FROM events_by_minute
                WHERE minute >= since AND minute < this_minute
                GROUP BY minute
            ) AS counted ON counted.minute = grid.m
            ORDER BY m
        )
    ) AS per_minute,
    (
        SELECT uniqExact(anonymous_id) FROM events
        WHERE anonymous_id != '' AND is_bot = 0 AND event_time >= recent
    ) AS active_visitors,
    (
        SELECT groupArray((page_path, views, visitors))
        FROM
        (
            SELECT page_path, count() AS views, uniqExact(anonymous_id) AS visitors
            FROM events
            WHERE event = 'page' AND is_bot = 0 AND event_time >= recent
            GROUP BY page_path
            ORDER BY views DESC, page_path
            LIMIT {limit:UInt32}
        )
    ) AS top_pages
