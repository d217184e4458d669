-- seasonality: orders and revenue of [from, to) by calendar month of the
-- reporting zone (1 = January), added up across the years in the period;
-- all twelve months, zeros included. Orders once per order_id.
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
    by_month AS (
        SELECT toMonth(order_time, {tz:String}) AS month_of_year, count() AS order_count, sum(rev) AS rev_sum, uniqExact(toYear(order_time, {tz:String})) AS year_count
        FROM orders
        WHERE order_time >= t_from AND order_time < t_to
        GROUP BY month_of_year
    )
SELECT
    m.month AS month,
    b.order_count AS orders,
    b.rev_sum AS revenue,
    b.year_count AS years
FROM (SELECT toUInt8(arrayJoin(range(1, 13))) AS month) AS m
LEFT JOIN by_month AS b ON b.month_of_year = m.month
ORDER BY month
