-- revenue_per_customer: revenue of the period's orders / distinct customers
-- (userIds) with an order in the period; null when there are none.
-- Revenue includes orders sent without a userId (they have no customer).
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
    sum(rev) AS revenue,
    uniqExactIf(user_id, user_id != '') AS customers,
    if(customers = 0, NULL, toFloat64(revenue) / customers) AS revenue_per_customer
FROM buyer_orders
WHERE order_time >= t_from AND order_time < t_to
