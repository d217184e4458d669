-- conversion_rate: distinct users (userIds) with an order in [from, to) /
-- visitors in the period (distinct anonymousIds of the period's non-bot
-- events; events with only a userId belong to no visitor); null without
-- visitors. No identity stitching: the two sets are counted separately.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    -- One row per order_id: of several deliveries (different messageIds) the
    -- one with the earliest (event_time, message_id) is the order.
    orders AS (
        SELECT
            order_id,
            user_id,
            event_time AS order_time,
            ifNull(revenue, toDecimal64(0, 4)) AS rev,
            ifNull(discount, toDecimal64(0, 4)) AS disc,
            coupon,
            coupon_kind,
            product_package_ids AS line_packages,
            product_prices AS line_prices
        FROM events
        WHERE event = 'Order Completed' AND order_id != ''
        ORDER BY order_id, event_time, message_id
        LIMIT 1 BY order_id
    )
SELECT
    (SELECT uniqExactIf(user_id, user_id != '') FROM orders WHERE order_time >= t_from AND order_time < t_to) AS customers,
    (
        SELECT uniqExact(anonymous_id)
        FROM events
        WHERE event_time >= t_from AND event_time < t_to AND anonymous_id != '' AND is_bot = 0
    ) AS visitors,
    if(visitors = 0, NULL, customers / visitors) AS conversion_rate
