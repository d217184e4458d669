-- break_even: per calendar month of the reporting zone: net_cash_flow (net
-- revenue - expenses, as in cash_flow) and cumulative_net_cash_flow since the
-- first money ever recorded, as of the period's end `to`. Break-even is a
-- fact of the business's whole history, not of a window: summing from the
-- period's start would name a different break-even month for every `from`
-- (and "broken even" after a loss-making year). So the rows run from the
-- earlier of the first month with any order, refund or expense and the
-- period's first month, to the period's last month; `from` only adds
-- leading (empty) months. The catalog names the first month, once money has
-- moved, whose cumulative figure is >= 0 (null if none).
-- (Changed: it used to accumulate from the period's start.)
WITH
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
    flows AS (
        SELECT month, sum(part) AS net_sum
        FROM
        (
            SELECT toStartOfMonth(order_time, {tz:String}) AS month, revenue AS part
            FROM orders
            WHERE order_time < t_to
            UNION ALL
            SELECT toStartOfMonth(refund_time, {tz:String}), -amount
            FROM refunds
            WHERE refund_time < t_to
            UNION ALL
            SELECT toStartOfMonth(ifNull(expense_date, toDate(event_time, {tz:String}))), -ifNull(amount, toDecimal64(0, 4))
            FROM events
            WHERE event = 'Expense Recorded'
              AND ifNull(expense_date, toDate(event_time, {tz:String})) < d_to
        )
        GROUP BY month
    ),
    first_month AS (
        SELECT least(toStartOfMonth(d_from), ifNull((SELECT minOrNull(month) FROM flows), toStartOfMonth(d_from))) AS m0
    ),
    months AS (
        SELECT DISTINCT toStartOfMonth(arrayJoin(arrayMap(i -> m0 + i, range(toUInt32(dateDiff('day', m0, d_to)))))) AS month
        FROM first_month
    )
SELECT
    m.month AS month,
    f.net_sum AS net_cash_flow,
    sum(f.net_sum) OVER (ORDER BY m.month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_net_cash_flow
FROM months AS m
LEFT JOIN flows AS f ON f.month = m.month
ORDER BY month
