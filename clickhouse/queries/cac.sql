-- cac: customer acquisition cost = marketing expenses of the period / new
-- customers of the period (userIds whose first-ever order is in it); null
-- without new customers. An Expense Recorded counts on its `date` property
-- when present, else on its event time's day in the reporting zone.
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
    (
        SELECT sum(ifNull(amount, toDecimal64(0, 4)))
        FROM events
        WHERE event = 'Expense Recorded' AND category = 'marketing'
          AND ifNull(expense_date, toDate(event_time, {tz:String})) >= d_from
          AND ifNull(expense_date, toDate(event_time, {tz:String})) < d_to
    ) AS marketing_expenses,
    (
        SELECT count()
        FROM (SELECT user_id, min(order_time) AS first_order FROM orders WHERE user_id != '' GROUP BY user_id)
        WHERE first_order >= t_from AND first_order < t_to
    ) AS new_customers,
    if(new_customers = 0, NULL, toFloat64(marketing_expenses) / new_customers) AS cac
