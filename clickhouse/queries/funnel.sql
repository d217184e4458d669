-- funnel: per visitor (anonymousId, bots left out), the furthest step reached
-- by ClickHouse's windowFunnel over 7 days (604800 s), the first step inside
-- [from, to) (later steps may fall up to 7 days after the period's end).
-- {steps:String} is a comma-separated list of 2 to 8 event names in order;
-- `page` is the page call. Conditions past the list's length compare with ''
-- (no event has that name), so they never match.
-- Returns per step the visitors reaching it (level >= step); steps nobody
-- reached have no row (the shape fills them with 0 and adds conversions).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    arrayMap(s -> trimBoth(s), splitByChar(',', {steps:String})) AS st
SELECT
    arrayJoin(range(1, level + 1)) AS step,
    count() AS visitors
FROM
(
    SELECT
        anonymous_id,
        windowFunnel(604800)(
            toDateTime(event_time),
            event = st[1] AND event_time < p_to,
            event = st[2], event = st[3], event = st[4],
            event = st[5], event = st[6], event = st[7], event = st[8]
        ) AS level
    FROM events
    WHERE anonymous_id != ''
      AND is_bot = 0
      AND has(st, toString(event))
      AND event_time >= p_from
      AND event_time < p_to + INTERVAL 7 DAY
    GROUP BY anonymous_id
)
WHERE level > 0
GROUP BY step
ORDER BY step
