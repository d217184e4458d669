-- uptime_checks_by_hour_mv: feeds uptime_checks_by_hour from `Uptime Check` events.
CREATE MATERIALIZED VIEW IF NOT EXISTS uptime_checks_by_hour_mv TO uptime_checks_by_hour AS
SELECT
    toStartOfHour(toDateTime(event_time, 'UTC')) AS hour,
    target,
    toUInt64(count()) AS checks,
    toUInt64(countIf(ok = 1)) AS ok_checks,
    quantilesExactStateIf(0.5, 0.95)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_ms
FROM events
WHERE event = 'Uptime Check'
GROUP BY hour, target;
