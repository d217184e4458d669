-- packages: per package_id, for orders of [from, to): orders containing it
-- and the revenue allocated to its product lines. An order's revenue is
-- shared across its lines in proportion to their prices (all of it to a
-- one-line order; equal shares when every price is 0). Lines without a
-- package_id are left out. Allocation is in Decimal with 12 decimals.
-- Orders once per order_id (the `orders` view).
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
    lines AS (
        SELECT
            order_id,
            rev AS order_rev,
            arraySum(line_prices) AS total_price,
            length(line_prices) AS line_count,
            arrayJoin(arrayZip(line_packages, line_prices)) AS line
        FROM buyer_orders
        WHERE order_time >= t_from AND order_time < t_to
    )
SELECT
    line.1 AS package_id,
    uniqExact(order_id) AS orders,
    -- (rev at scale 8) * price (scale 4) / total keeps scale 12, as does rev / n
    sum(if(total_price = 0, toDecimal128(order_rev, 12) / line_count, toDecimal128(order_rev, 8) * line.2 / total_price)) AS revenue
FROM lines
WHERE line.1 != ''
GROUP BY package_id
ORDER BY revenue DESC, package_id
