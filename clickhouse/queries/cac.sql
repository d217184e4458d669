-- cac: customer acquisition cost = marketing expenses of the period / new
-- customers of the period (userIds whose first-ever order is in it); null
-- without new customers. An Expense Recorded counts on its `date` property
-- when present, else on its event time's day in the reporting zone.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to
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
