-- page_speed: p50 and p75 (quantileExact) of load_ms and lcp_ms over
-- [from, to), bots left out, from page_stats_by_hour; one row, or one row per
-- page path with group_by=page. Samples: every non-bot `page` event carrying
-- properties.load_ms and every `Web Vitals` event carrying load_ms / lcp_ms
-- (the school's tracker sends load time only in Web Vitals, so one page load
-- is one sample; an SDK that sends it on the page call gives its own sample).
-- page_views counts the page events of the same rows.
-- A percentile of no samples is null (a page with load times but no LCP has
-- no LCP percentile). The rollup keeps no sample count, and a quantile state
-- with no values merges to 0, so 0 is read as "no samples": browsers report
-- load and LCP times as positive durations, so no real percentile is 0 ms.
-- (Changed: it used to answer 0 for a page without samples.)
SELECT
    if({group_by:String} = 'page', page_path, '') AS page,
    sum(page_views) AS page_views,
    quantilesExactMerge(0.5, 0.75)(load_ms) AS lq,
    quantilesExactMerge(0.5, 0.75)(lcp_ms) AS cq,
    nullIf(lq[1], 0) AS load_ms_p50,
    nullIf(lq[2], 0) AS load_ms_p75,
    nullIf(cq[1], 0) AS lcp_ms_p50,
    nullIf(cq[2], 0) AS lcp_ms_p75
FROM page_stats_by_hour
WHERE hour >= toDateTime({from:String}, {tz:String})
  AND hour < toDateTime({to:String}, {tz:String})
GROUP BY page
ORDER BY page_views DESC, page
