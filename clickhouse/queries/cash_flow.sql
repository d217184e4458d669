-- cash_flow: per calendar month of the reporting zone overlapping [from, to),
-- counting only the period's days: revenue, refunds, net_revenue, expenses
-- (all categories), expenses_by_category and net_cash_flow = net_revenue -
-- expenses. Orders once per order_id; refunds at their own time; an Expense
-- Recorded on its `date` property when present, else on its event time's day.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
    flows AS (
        SELECT month, sum(rev_part) AS rev_sum, sum(refund_part) AS refund_sum
        FROM
        (
            SELECT toStartOfMonth(order_time, {tz:String}) AS month, revenue AS rev_part, toDecimal64(0, 4) AS refund_part
            FROM orders
            WHERE order_time >= t_from AND order_time < t_to
            UNION ALL
            SELECT toStartOfMonth(refund_time, {tz:String}), toDecimal64(0, 4), amount
            FROM refunds
            WHERE refund_time >= t_from AND refund_time < t_to
        )
        GROUP BY month
    ),
    expense_rows AS (
        SELECT
            toStartOfMonth(ifNull(expense_date, toDate(event_time, {tz:String}))) AS month,
            toString(category) AS expense_category,
            sum(ifNull(amount, toDecimal64(0, 4))) AS spent
        FROM events
        WHERE event = 'Expense Recorded'
          AND ifNull(expense_date, toDate(event_time, {tz:String})) >= d_from
          AND ifNull(expense_date, toDate(event_time, {tz:String})) < d_to
        GROUP BY month, expense_category
    ),
    expenses AS (
        SELECT month, sum(spent) AS spent_sum, mapFromArrays(groupArray(expense_category), groupArray(spent)) AS by_category
        FROM expense_rows
        GROUP BY month
    ),
    months AS (
        SELECT DISTINCT toStartOfMonth(arrayJoin(arrayMap(i -> d_from + i, range(toUInt32(dateDiff('day', d_from, d_to)))))) AS month
    )
SELECT
    m.month AS month,
    f.rev_sum AS revenue,
    f.refund_sum AS refunds,
    f.rev_sum - f.refund_sum AS net_revenue,
    e.spent_sum AS expenses,
    e.by_category AS expenses_by_category,
    net_revenue - expenses AS net_cash_flow
FROM months AS m
LEFT JOIN flows AS f ON f.month = m.month
LEFT JOIN expenses AS e ON e.month = m.month
ORDER BY month
