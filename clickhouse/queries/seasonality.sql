-- seasonality: orders and revenue of [from, to) by calendar month of the
-- reporting zone (1 = January), added up across the years in the period;
-- all twelve months, zeros included. Orders once per order_id (the `orders`
-- view).
-- profession / state (optional; '' = everyone) keep the orders whose buyer's
-- latest known trait (the `user_traits` view) matches; an order without a
-- known buyer matches no filter.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    buyer_orders AS (
        SELECT order_id, user_id, order_time, revenue AS rev, discount AS disc, coupon, coupon_kind,
               product_package_ids AS line_packages, product_prices AS line_prices
        FROM orders
        WHERE ({profession:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE profession = {profession:String}))
          AND ({state:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE license_state = {state:String}))
    ),
    by_month AS (
        SELECT toMonth(order_time, {tz:String}) AS month_of_year, count() AS order_count, sum(rev) AS rev_sum, uniqExact(toYear(order_time, {tz:String})) AS year_count
        FROM buyer_orders
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
