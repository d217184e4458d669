-- signup_rate: `Signed Up` events in [from, to) / visitors in the period
-- (distinct anonymousIds with a non-bot event in it). Null with no visitors.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to
SELECT
    (SELECT count() FROM events
     WHERE event = 'Signed Up' AND is_bot = 0 AND event_time >= p_from AND event_time < p_to) AS signups,
    (SELECT uniqExact(anonymous_id) FROM events
     WHERE anonymous_id != '' AND is_bot = 0 AND event_time >= p_from AND event_time < p_to) AS visitors,
    if(visitors = 0, NULL, signups / visitors) AS signup_rate
