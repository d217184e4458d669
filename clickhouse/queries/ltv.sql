-- ltv: per cohort of customers (reporting-zone month of their first-ever
-- order), as of the period's end `to`: customers, their net revenue (their
-- orders' revenue - refunds of those orders dated before `to`) and ltv =
-- net revenue / customers. The overall figures (all-time net revenue / all
-- customers, orders without a userId included in revenue) are shaped in the
-- catalog from the `all` row this query returns first (cohort null).
WITH
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    refunds_by_order AS (
        SELECT order_id, sum(amount) AS refunded
        FROM refunds
        WHERE refund_time < t_to
        GROUP BY order_id
    ),
    cohorts AS (
        SELECT user_id, toStartOfMonth(min(order_time), {tz:String}) AS cohort
        FROM orders
        WHERE user_id != '' AND order_time < t_to
        GROUP BY user_id
    ),
    per_cohort AS (
        SELECT c.cohort AS cohort, uniqExact(o.user_id) AS customers, sum(o.revenue) - sum(r.refunded) AS net_revenue
        FROM orders AS o
        INNER JOIN cohorts AS c ON c.user_id = o.user_id
        LEFT JOIN refunds_by_order AS r ON r.order_id = o.order_id
        WHERE o.order_time < t_to
        GROUP BY cohort
    ),
    overall AS (
        SELECT
            (SELECT sum(revenue) FROM orders WHERE order_time < t_to)
            - (SELECT sum(refunded) FROM refunds_by_order) AS net_revenue,
            (SELECT count() FROM cohorts) AS customers
    )
SELECT
    CAST(NULL, 'Nullable(Date)') AS cohort,
    customers,
    net_revenue,
    if(customers = 0, NULL, toFloat64(net_revenue) / customers) AS ltv
FROM overall
UNION ALL
SELECT * FROM
(
    SELECT
        CAST(cohort, 'Nullable(Date)') AS cohort,
        customers,
        net_revenue,
        if(customers = 0, NULL, toFloat64(net_revenue) / customers) AS ltv
    FROM per_cohort
    ORDER BY cohort
)
