-- conversion_rate: distinct users (userIds) with an order in [from, to) /
-- visitors in the period (distinct anonymousIds of the period's non-bot
-- events; events with only a userId belong to no visitor); null without
-- visitors. No identity stitching: the two sets are counted separately.
-- Orders once per order_id (the `orders` view).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to
SELECT
    (SELECT uniqExactIf(user_id, user_id != '') FROM orders WHERE order_time >= t_from AND order_time < t_to) AS customers,
    (
        SELECT uniqExact(anonymous_id)
        FROM events
        WHERE event_time >= t_from AND event_time < t_to AND anonymous_id != '' AND is_bot = 0
    ) AS visitors,
    if(visitors = 0, NULL, customers / visitors) AS conversion_rate
