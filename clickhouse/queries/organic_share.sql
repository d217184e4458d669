-- organic_share: orders without a coupon / orders in [from, to), and the
-- same by revenue; null when the denominator is zero. Orders once per order_id.
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
    count() AS orders,
    countIf(coupon = '') AS organic_orders,
    if(orders = 0, NULL, organic_orders / orders) AS organic_share,
    sum(rev) AS revenue,
    sumIf(rev, coupon = '') AS organic_revenue,
    if(revenue = 0, NULL, toFloat64(organic_revenue) / toFloat64(revenue)) AS organic_revenue_share
FROM orders
WHERE order_time >= t_from AND order_time < t_to
