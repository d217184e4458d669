-- uptime_checks_by_hour: `Uptime Check` results per UTC hour and target.
--
-- Why it exists: uptime's checks, successful checks and latency percentiles
-- come from these rows (incidents need the checks in order and are read from
-- the raw events). Grain: (hour UTC, target). AggregatingMergeTree read with
-- sum() and quantilesExactMerge, never relying on merges.
CREATE TABLE IF NOT EXISTS uptime_checks_by_hour
(
    hour       DateTime('UTC'),
    target     LowCardinality(String),
    checks     SimpleAggregateFunction(sum, UInt64),
    ok_checks  SimpleAggregateFunction(sum, UInt64),
    latency_ms AggregateFunction(quantilesExact(0.5, 0.95), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, target);
