-- js_errors_by_hour_mv: feeds js_errors_by_hour from non-bot `JS Error` events.
CREATE MATERIALIZED VIEW IF NOT EXISTS js_errors_by_hour_mv TO js_errors_by_hour AS
SELECT
    toStartOfHour(toDateTime(event_time, 'UTC')) AS hour,
    error_message,
    count() AS errors
FROM events
WHERE event = 'JS Error' AND is_bot = 0
GROUP BY hour, error_message;
