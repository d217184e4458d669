-- pipeline_freshness: the newest data visible in ClickHouse, one row.
--
-- Why it exists: the aggregator's freshness gauge, the read API's
-- /api/v1/health and Grafana read the same definition.
--   newest_event_received_at  the newest received_at (collector time, so
--       client clocks and backfilled event times don't move it) among events
--       whose event_time is in the last hour; the event_time condition lets
--       ClickHouse read only recent granules of the (event, event_time, ...)
--       sort key instead of the whole column.
--   newest_heartbeat_at       the newest aggregator heartbeat stored.
--   newest_at                 the later of the two: freshness = now - newest_at.
-- An empty side reads as 1970-01-01 (max() of nothing).
CREATE VIEW IF NOT EXISTS pipeline_freshness AS
SELECT
    (SELECT max(received_at) FROM events WHERE event_time >= now64(3) - INTERVAL 1 HOUR) AS newest_event_received_at,
    (SELECT max(sent_at) FROM pipeline_heartbeats WHERE sent_at >= now64(3) - INTERVAL 1 DAY) AS newest_heartbeat_at,
    greatest(newest_event_received_at, newest_heartbeat_at) AS newest_at;
