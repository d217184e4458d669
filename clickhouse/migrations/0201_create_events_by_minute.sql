-- events_by_minute: events per UTC minute and event name (bots included: this
-- is the pipeline's throughput for the live panel, not a visitor metric).
--
-- Why it exists: `live` reads events per second over the last minutes from a
-- few hundred small rows instead of scanning the raw table's newest parts.
-- Grain: (minute UTC, event). SummingMergeTree: readers always sum(events) with
-- GROUP BY, so rows not merged yet still give the right answer.
CREATE TABLE IF NOT EXISTS events_by_minute
(
    minute DateTime('UTC'),
    event  LowCardinality(String),
    events UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, event);
