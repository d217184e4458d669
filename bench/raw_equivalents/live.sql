-- live from the raw `events` table (bench only): the per-minute counts that
-- clickhouse/queries/live.sql reads from events_by_minute are counted here
-- from the events (every event, bots too); active visitors and top pages
-- already read `events` and are the same text. Reads now(), like live.
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
                SELECT toStartOfMinute(toDateTime(event_time, 'UTC')) AS minute, count() AS n
                FROM events
                WHERE event_time >= since AND event_time < this_minute
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
