-- events_by_minute_mv: feeds events_by_minute from every insert into events.
-- The aggregator inserts each message id once, so the sums count distinct events.
CREATE MATERIALIZED VIEW IF NOT EXISTS events_by_minute_mv TO events_by_minute AS
SELECT
    toStartOfMinute(toDateTime(event_time, 'UTC')) AS minute,
    event,
    count() AS events
FROM events
GROUP BY minute, event;
