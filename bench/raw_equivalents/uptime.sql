-- uptime from the raw `events` table (bench only): the per-target checks,
-- successful checks and latency percentiles that clickhouse/queries/uptime.sql
-- reads from uptime_checks_by_hour are computed here from the `Uptime Check`
-- events; the incidents part already reads `events` and is the same text.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    stats AS (
        SELECT
            toString(target) AS target,
            count() AS checks,
            countIf(ok = 1) AS ok_checks,
            quantilesExactIf(0.5, 0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS q
        FROM events
        WHERE event = 'Uptime Check' AND event_time >= p_from AND event_time < p_to
        GROUP BY target
    ),
    checks AS (
        SELECT
            toString(target) AS target, event_time, ifNull(ok, 0) = 1 AS up,
            sum(toUInt8(NOT up AND (rn = 1 OR prev_up))) OVER (PARTITION BY target ORDER BY event_time, message_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_no
        FROM
        (
            SELECT target, event_time, message_id, ok,
                   row_number() OVER w AS rn,
                   ifNull(lagInFrame(ok) OVER w, 0) = 1 AS prev_up
            FROM events
            WHERE event = 'Uptime Check' AND event_time >= p_from - INTERVAL 7 DAY
            WINDOW w AS (PARTITION BY target ORDER BY event_time, message_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        )
    ),
    runs AS (
        SELECT
            target,
            groupArray((started_at, ended_at, failed_checks, resolved_at)) AS incidents
        FROM
        (
            SELECT
                target, run_no,
                minIf(event_time, NOT up) AS started_at,
                maxIf(event_time, NOT up) AS ended_at,
                countIf(NOT up) AS failed_checks,
                if(countIf(up) = 0, NULL, minIf(event_time, up)) AS resolved_at
            FROM checks
            WHERE run_no > 0
            GROUP BY target, run_no
            HAVING started_at >= p_from AND started_at < p_to
            ORDER BY target, started_at
        )
        GROUP BY target
    )
SELECT
    s.target AS target,
    s.checks AS checks,
    s.ok_checks AS ok_checks,
    if(s.checks = 0, NULL, s.ok_checks / s.checks) AS uptime,
    s.q[1] AS p50_ms,
    s.q[2] AS p95_ms,
    r.incidents AS incidents
FROM stats AS s
LEFT JOIN runs AS r ON s.target = r.target
ORDER BY target
