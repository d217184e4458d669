-- revenue: gross revenue, refunds, net revenue (= revenue - refunds) and
-- orders in [from, to) of the reporting zone. With interval=day|week|month
-- one row per bucket of the zone's calendar (weeks start on Monday), empty
-- buckets as zeros; without it one row for the whole period.
-- Orders count once per order_id (see the orders CTE); refunds count at their
-- own time, each Order Refunded event (messageId) once.
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
    sales AS (
        SELECT toDate(order_time, {tz:String}) AS day, sum(rev) AS rev_sum, count() AS order_count
        FROM orders
        WHERE order_time >= t_from AND order_time < t_to
        GROUP BY day
    ),
    refunded AS (
        SELECT toDate(event_time, {tz:String}) AS day, sum(ifNull(amount, toDecimal64(0, 4))) AS refund_sum
        FROM events
        WHERE event = 'Order Refunded' AND event_time >= t_from AND event_time < t_to
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
