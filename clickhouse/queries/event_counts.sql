-- event_counts: events by name in [from, to) of the reporting zone.
-- One row per messageId is guaranteed by the aggregator, so count() counts
-- distinct events, never deliveries.
SELECT
    event,
    count() AS events
FROM events
WHERE event_time >= toDateTime64({from:String}, 3, {tz:String})
  AND event_time <  toDateTime64({to:String}, 3, {tz:String})
GROUP BY event
ORDER BY events DESC, event
