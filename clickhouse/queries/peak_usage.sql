-- peak_usage: distinct visitors and their events (events carrying an
-- anonymousId, bots left out) by ISO weekday (1 = Monday) x hour of the
-- reporting zone, over [from, to). Only cells with events are returned.
-- On the autumn DST change the repeated 01:00 hour falls in one cell; on the
-- spring change 02:00 does not exist and has no cell.
SELECT
    toDayOfWeek(toTimeZone(event_time, {tz:String})) AS weekday,
    toHour(toTimeZone(event_time, {tz:String})) AS hour,
    uniqExact(anonymous_id) AS visitors,
    count() AS events
FROM events
WHERE anonymous_id != ''
  AND is_bot = 0
  AND event_time >= toDateTime64({from:String}, 3, {tz:String})
  AND event_time < toDateTime64({to:String}, 3, {tz:String})
GROUP BY weekday, hour
ORDER BY weekday, hour
