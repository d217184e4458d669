-- revenue: gross revenue, refunds, net revenue (= revenue - refunds) and
-- orders in [from, to) of the reporting zone. With interval=day|week|month
-- one row per bucket of the zone's calendar (weeks start on Monday), empty
-- buckets as zeros; without it one row for the whole period.
-- Orders count once per order_id (the `orders` view); refunds count at their
-- own time, each Order Refunded event (messageId) once.
-- profession / state (optional; '' = everyone) keep the orders whose buyer's
-- latest known trait (the `user_traits` view) matches, and the refunds of
-- those orders; an order without a known buyer matches no filter.
-- Days are cut in the zone, so a DST day holds 23 or 25 hours; weeks and
-- months are unions of those days. A bucket cut by the period holds only the
-- period's days and is labelled by its calendar start (a week's Monday may
-- precede `from`).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
    {interval:String} AS iv,
    buyer_orders AS (
        SELECT order_id, order_time, revenue
        FROM orders
        WHERE ({profession:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE profession = {profession:String}))
          AND ({state:String} = '' OR user_id IN (SELECT user_id FROM user_traits WHERE license_state = {state:String}))
    ),
    sales AS (
        SELECT toDate(order_time, {tz:String}) AS day, sum(revenue) AS rev_sum, count() AS order_count
        FROM buyer_orders
        WHERE order_time >= t_from AND order_time < t_to
        GROUP BY day
    ),
    refunded AS (
        SELECT toDate(refund_time, {tz:String}) AS day, sum(amount) AS refund_sum
        FROM refunds
        WHERE refund_time >= t_from AND refund_time < t_to
          AND (({profession:String} = '' AND {state:String} = '') OR order_id IN (SELECT order_id FROM buyer_orders))
        GROUP BY day
    ),
    days AS (
        SELECT arrayJoin(arrayMap(i -> d_from + i, range(toUInt32(dateDiff('day', d_from, d_to))))) AS day
    )
SELECT
    multiIf(iv = 'day', d.day, iv = 'week', toMonday(d.day), iv = 'month', toStartOfMonth(d.day), d_from) AS bucket,
    sum(s.rev_sum) AS revenue,
    sum(r.refund_sum) AS refunds,
    revenue - refunds AS net_revenue,
    sum(s.order_count) AS orders
FROM days AS d
LEFT JOIN sales AS s ON s.day = d.day
LEFT JOIN refunded AS r ON r.day = d.day
GROUP BY bucket
ORDER BY bucket
