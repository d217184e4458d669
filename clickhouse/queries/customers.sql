-- customers: userIds with an order in [from, to) (customers); of those, the
-- ones whose first-ever order is in the period (new_customers) or before it
-- (returning_customers); repeat_rate = customers with 2+ orders ever by the
-- period's end / customers (null without customers). Orders once per order_id.
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
    history AS (
        SELECT user_id, min(order_time) AS first_order, countIf(order_time < t_to) AS orders_by_end
        FROM orders
        WHERE user_id != ''
        GROUP BY user_id
    )
SELECT
    count() AS customers,
    countIf(h.first_order >= t_from) AS new_customers,
    countIf(h.first_order < t_from) AS returning_customers,
    countIf(h.orders_by_end >= 2) AS repeat_customers,
    if(customers = 0, NULL, repeat_customers / customers) AS repeat_rate
FROM (SELECT DISTINCT user_id FROM orders WHERE user_id != '' AND order_time >= t_from AND order_time < t_to) AS c
INNER JOIN history AS h ON h.user_id = c.user_id
