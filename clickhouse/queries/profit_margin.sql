-- profit_margin: (net revenue - expenses) / net revenue for [from, to); null
-- when net revenue is 0. Net revenue = the period's orders' revenue (once per
-- order_id) - refunds dated in the period; expenses = every Expense Recorded
-- of the period (on its `date` property when present, else its time's day).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to
SELECT
    (SELECT sum(revenue) FROM orders WHERE order_time >= t_from AND order_time < t_to)
    - (
        SELECT sum(amount)
        FROM refunds
        WHERE refund_time >= t_from AND refund_time < t_to
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
