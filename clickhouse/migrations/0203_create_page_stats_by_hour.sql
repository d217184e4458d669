-- page_stats_by_hour: page views and page-speed samples per UTC hour and page
-- path, bots left out.
--
-- Why it exists: error_rate (JS errors / page views) and page_speed read a few
-- rows per page and hour instead of every page event. UTC hours serve any
-- reporting zone whose offset is a whole number of hours (America/Chicago),
-- so day and period boundaries of the zone fall on hour boundaries.
-- Grain: (hour UTC, page_path). AggregatingMergeTree; readers use sum() and
-- quantilesExactMerge, so unmerged parts are still exact.
-- Page-speed samples: load_ms from `page` events' properties.load_ms and from
-- `Web Vitals`; lcp_ms from `Web Vitals` (and from a page event, should an SDK
-- send one). Every event carrying a value is one sample.
CREATE TABLE IF NOT EXISTS page_stats_by_hour
(
    hour       DateTime('UTC'),
    page_path  String,
    page_views SimpleAggregateFunction(sum, UInt64),
    load_ms    AggregateFunction(quantilesExact(0.5, 0.75), Float64),
    lcp_ms     AggregateFunction(quantilesExact(0.5, 0.75), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, page_path);
