-- revenue_per_customer: revenue of the period's orders / distinct customers
-- (userIds) with an order in the period; null when there are none.
-- Revenue includes orders sent without a userId (they have no customer).
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
    sum(rev) AS revenue,
    uniqExactIf(user_id, user_id != '') AS customers,
    if(customers = 0, NULL, toFloat64(revenue) / customers) AS revenue_per_customer
FROM orders
WHERE order_time >= t_from AND order_time < t_to
