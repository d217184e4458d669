-- profit_margin: (net revenue - expenses) / net revenue for [from, to); null
-- when net revenue is 0. Net revenue = the period's orders' revenue (once per
-- order_id) - refunds dated in the period; expenses = every Expense Recorded
-- of the period (on its `date` property when present, else its time's day).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
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
    (SELECT sum(rev) FROM orders WHERE order_time >= t_from AND order_time < t_to)
    - (
        SELECT sum(ifNull(amount, toDecimal64(0, 4)))
        FROM events
        WHERE event = 'Order Refunded' AND event_time >= t_from AND event_time < t_to
    ) AS net_revenue,
    (
        SELECT sum(ifNull(amount, toDecimal64(0, 4)))
        FROM events
        WHERE event = 'Expense Recorded'
          AND ifNull(expense_date, toDate(event_time, {tz:String})) >= d_from
          AND ifNull(expense_date, toDate(event_time, {tz:String})) < d_to
    ) AS expenses,
    net_revenue - expenses AS profit,
    if(net_revenue = 0, NULL, toFloat64(profit) / toFloat64(net_revenue)) AS profit_margin
