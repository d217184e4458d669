-- session_spans: one row per session that touches the period [period_from, period_to)
-- of the reporting zone tz. A parameterized view, so the session rules of
-- metrics.md live in one place for traffic, landing_pages, sessions,
-- return_visits, devices and search_usage.
--
-- Why query-time, not a materialized view: a session is a property of a
-- visitor's whole run of events (a late event can merge two sessions or split
-- none), so it is recomputed from the raw events on every read.
--
-- Grain: (anonymous_id, session_no). Rules:
-- * only events with an anonymous_id, bots (is_bot = 1) left out event by event,
-- * a session starts at a visitor's first event or after a gap > 1800 s
--   (exactly 30:00.000 is still the same session),
-- * events are read from one day before the period to one day after it: the
--   day before lets a session that started before the period be recognised as
--   such (it only needs the previous event, at most 30 minutes back), and gives
--   a continuing session its first page event; the day after lets a session
--   that starts inside the period keep its events after the period's end.
--   Only a visitor active with no 30-minute pause for over 24 hours would be
--   cut, which is a bot in all but name,
-- * channel and landing page from the session's first `page` event ('' when
--   the session has none); device from its first event with a known device
--   ('unknown' when none, e.g. server events only); country/region from its
--   first event with one.
-- Columns: started_at/ended_at (duration = ended_at - started_at), starts_in_period
-- (the period the session belongs to), page_views and page_views_in_period (page
-- events of the session, all / inside the period), searches, orders.
CREATE VIEW IF NOT EXISTS session_spans AS
WITH
    toDateTime64({period_from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({period_to:String}, 3, {tz:String}) AS p_to
SELECT
    anonymous_id,
    session_no,
    min(event_time) AS started_at,
    max(event_time) AS ended_at,
    (started_at >= p_from AND started_at < p_to) AS starts_in_period,
    count() AS events,
    countIf(event = 'page') AS page_views,
    countIf(event = 'page' AND event_time >= p_from AND event_time < p_to) AS page_views_in_period,
    countIf(event_time >= p_from AND event_time < p_to) AS events_in_period,
    argMinIf(channel, (event_time, message_id), event = 'page') AS channel,
    argMinIf(page_path, (event_time, message_id), event = 'page') AS landing_page,
    if(countIf(device NOT IN ('', 'unknown')) = 0, 'unknown',
       argMinIf(device, (event_time, message_id), device NOT IN ('', 'unknown'))) AS device,
    argMinIf(country, (event_time, message_id), country != '') AS country,
    argMinIf(region, (event_time, message_id), region != '') AS region,
    countIf(event = 'Products Searched') AS searches,
    countIf(event = 'Order Completed') AS orders
FROM
(
    SELECT
        *,
        sum(is_start) OVER (PARTITION BY anonymous_id ORDER BY event_time, message_id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
    FROM
    (
        SELECT
            anonymous_id, event_time, message_id, event, channel, page_path, device, country, region,
            toUInt8(row_number() OVER w = 1
                    OR dateDiff('millisecond', lagInFrame(event_time) OVER w, event_time) > 1800000) AS is_start
        FROM events
        WHERE anonymous_id != ''
          AND is_bot = 0
          AND event_time >= p_from - INTERVAL 1 DAY
          AND event_time < p_to + INTERVAL 1 DAY
        WINDOW w AS (PARTITION BY anonymous_id ORDER BY event_time, message_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
)
GROUP BY anonymous_id, session_no
HAVING events_in_period > 0 OR starts_in_period;
