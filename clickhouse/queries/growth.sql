-- growth: per calendar month of the reporting zone that overlaps [from, to):
-- net revenue (orders' revenue in the month - refunds dated in the month), the
-- previous month's and the same month a year before, and the changes as
-- fractions: (this - before) / |before|, null when before is 0.
-- Months are whole calendar months even when the period cuts them, so a
-- month compares like with like.
WITH
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
    monthly AS (
        SELECT month, sum(rev_part) - sum(refund_part) AS net
        FROM
        (
            SELECT toStartOfMonth(order_time, {tz:String}) AS month, revenue AS rev_part, toDecimal64(0, 4) AS refund_part
            FROM orders
            UNION ALL
            SELECT toStartOfMonth(refund_time, {tz:String}), toDecimal64(0, 4), amount
            FROM refunds
        )
        GROUP BY month
    ),
    months AS (
        SELECT DISTINCT
            toStartOfMonth(arrayJoin(arrayMap(i -> d_from + i, range(toUInt32(dateDiff('day', d_from, d_to)))))) AS month,
            addMonths(month, -1) AS prev_month,
            addMonths(month, -12) AS year_ago_month
    )
SELECT
    m.month AS month,
    cur.net AS net_revenue,
    prev.net AS previous_month_net_revenue,
    if(prev.net = 0, NULL, toFloat64(cur.net - prev.net) / abs(toFloat64(prev.net))) AS change_vs_previous_month,
    ago.net AS year_ago_net_revenue,
    if(ago.net = 0, NULL, toFloat64(cur.net - ago.net) / abs(toFloat64(ago.net))) AS change_vs_year_ago
FROM months AS m
LEFT JOIN monthly AS cur ON cur.month = m.month
LEFT JOIN monthly AS prev ON prev.month = m.prev_month
LEFT JOIN monthly AS ago ON ago.month = m.year_ago_month
ORDER BY month
