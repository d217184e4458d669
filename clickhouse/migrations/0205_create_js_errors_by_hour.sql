-- js_errors_by_hour: `JS Error` events per UTC hour and message, bots left out
-- (their page views are left out of the denominator too).
--
-- Why it exists: error_rate reads errors by message from small rows.
-- Grain: (hour UTC, error_message). SummingMergeTree read with sum().
CREATE TABLE IF NOT EXISTS js_errors_by_hour
(
    hour          DateTime('UTC'),
    error_message String,
    errors        UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, error_message);
