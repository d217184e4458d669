-- regions: customers, orders and revenue of [from, to) by buyer license state.
-- The trait is the user's latest known value by event time, as of now, from
-- identify traits and Signed Up properties (rows with an empty value don't
-- count); 'unknown' when never known. Orders once per order_id.
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
    ),
    traits AS (
        SELECT user_id, argMaxIf(license_state, (event_time, message_id), license_state != '') AS trait
        FROM events
        WHERE (type = 'identify' OR event = 'Signed Up') AND user_id != ''
        GROUP BY user_id
    )
SELECT
    if(t.trait = '', 'unknown', t.trait) AS license_state,
    uniqExactIf(o.user_id, o.user_id != '') AS customers,
    count() AS orders,
    sum(o.rev) AS revenue
FROM (SELECT user_id, rev FROM orders WHERE order_time >= t_from AND order_time < t_to) AS o
LEFT JOIN traits AS t ON t.user_id = o.user_id
GROUP BY license_state
ORDER BY revenue DESC, license_state
