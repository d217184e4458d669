-- refund_rate: orders placed in [from, to) that have an Order Refunded by now
-- (whenever the refund came) / orders placed in the period; null without
-- orders. A refund thus counts against the month its order was placed in.
-- Orders count once per order_id (the `orders` view).
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
    )
SELECT
    count() AS orders,
    countIf(order_id IN (SELECT order_id FROM refunds)) AS refunded_orders,
    if(orders = 0, NULL, refunded_orders / orders) AS refund_rate
FROM buyer_orders
WHERE order_time >= t_from AND order_time < t_to
