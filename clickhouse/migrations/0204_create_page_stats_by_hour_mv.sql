-- page_stats_by_hour_mv: feeds page_stats_by_hour from `page` and `Web Vitals`
-- events of non-bot clients.
CREATE MATERIALIZED VIEW IF NOT EXISTS page_stats_by_hour_mv TO page_stats_by_hour AS
SELECT
    toStartOfHour(toDateTime(event_time, 'UTC')) AS hour,
    page_path,
    toUInt64(countIf(event = 'page')) AS page_views,
    quantilesExactStateIf(0.5, 0.75)(assumeNotNull(load_ms), load_ms IS NOT NULL) AS load_ms,
    quantilesExactStateIf(0.5, 0.75)(assumeNotNull(lcp_ms), lcp_ms IS NOT NULL) AS lcp_ms
FROM events
WHERE event IN ('page', 'Web Vitals') AND is_bot = 0
GROUP BY hour, page_path;
