-- customers: userIds with an order in [from, to) (customers); of those, the
-- ones whose first-ever order is in the period (new_customers) or before it
-- (returning_customers); repeat_rate = customers with 2+ orders ever by the
-- period's end / customers (null without customers). Orders once per
-- order_id (the `orders` view).
-- profession / state (optional; '' = everyone) keep the customers whose
-- latest known trait (the `user_traits` view) matches. A trait belongs to
-- the person, so filtering their orders keeps or drops the whole history:
-- new / returning / repeat are judged on all of a kept customer's orders.
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
    history AS (
        SELECT user_id, min(order_time) AS first_order, countIf(order_time < t_to) AS orders_by_end
        FROM buyer_orders
        WHERE user_id != ''
        GROUP BY user_id
    )
SELECT
    count() AS customers,
    countIf(h.first_order >= t_from) AS new_customers,
    countIf(h.first_order < t_from) AS returning_customers,
    countIf(h.orders_by_end >= 2) AS repeat_customers,
    if(customers = 0, NULL, repeat_customers / customers) AS repeat_rate
FROM (SELECT DISTINCT user_id FROM buyer_orders WHERE user_id != '' AND order_time >= t_from AND order_time < t_to) AS c
INNER JOIN history AS h ON h.user_id = c.user_id
