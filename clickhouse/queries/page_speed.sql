-- page_speed: p50 and p75 (quantileExact) of load_ms and lcp_ms over
-- [from, to), bots left out, from page_stats_by_hour; one row, or one row per
-- page path with group_by=page. Samples: every non-bot `page` event carrying
-- properties.load_ms and every `Web Vitals` event carrying load_ms / lcp_ms
-- (the school's tracker sends load time only in Web Vitals, so one page load
-- is one sample; an SDK that sends it on the page call gives its own sample).
-- page_views counts the page events of the same rows.
SELECT
    if({group_by:String} = 'page', page_path, '') AS page,
    sum(page_views) AS page_views,
    quantilesExactMerge(0.5, 0.75)(load_ms) AS lq,
    quantilesExactMerge(0.5, 0.75)(lcp_ms) AS cq,
    lq[1] AS load_ms_p50,
    lq[2] AS load_ms_p75,
    cq[1] AS lcp_ms_p50,
    cq[2] AS lcp_ms_p75
FROM page_stats_by_hour
WHERE hour >= toDateTime({from:String}, {tz:String})
  AND hour < toDateTime({to:String}, {tz:String})
GROUP BY page
ORDER BY page_views DESC, page
