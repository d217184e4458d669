-- page_speed from the raw `events` table (bench only): what
-- clickhouse/queries/page_speed.sql answers from page_stats_by_hour, same
-- parameters ({group_by}), same rows. Samples as the view takes them: non-bot
-- `page` and `Web Vitals` events carrying the value; page_views counts the
-- page events among them.
SELECT
    if({group_by:String} = 'page', page_path, '') AS page,
    countIf(event = 'page') AS page_views,
    quantilesExactIf(0.5, 0.75)(assumeNotNull(load_ms), load_ms IS NOT NULL) AS lq,
    quantilesExactIf(0.5, 0.75)(assumeNotNull(lcp_ms), lcp_ms IS NOT NULL) AS cq,
    lq[1] AS load_ms_p50,
    lq[2] AS load_ms_p75,
    cq[1] AS lcp_ms_p50,
    cq[2] AS lcp_ms_p75
FROM events
WHERE event IN ('page', 'Web Vitals') AND is_bot = 0
  AND event_time >= toDateTime64({from:String}, 3, {tz:String})
  AND event_time < toDateTime64({to:String}, 3, {tz:String})
GROUP BY page
ORDER BY page_views DESC, page
