-- coupon_kinds: orders, revenue and discount given in [from, to) by the
-- order's coupon_kind (employee, marketing, partner), over orders that used a
-- coupon (a coupon without a kind shows as kind ''). Orders once per order_id.
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
    coupon_kind,
    count() AS orders,
    sum(rev) AS revenue,
    sum(disc) AS discount
FROM orders
WHERE (coupon != '' OR coupon_kind != '') AND order_time >= t_from AND order_time < t_to
GROUP BY coupon_kind
ORDER BY revenue DESC, coupon_kind
