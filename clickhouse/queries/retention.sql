-- retention: cohorts of customers by the reporting-zone month of their
-- first-ever order, for the cohort months overlapping [from, to). For month
-- offsets 0..11: retained = cohort members with an order in month
-- cohort + offset, retention = retained / cohort_size. Offsets whose month
-- has not begun yet (as of now, in the zone) have retention null.
WITH
    toDate({from:String}) AS d_from,
    toDate({to:String}) AS d_to,
    cohorts AS (
        SELECT user_id, toStartOfMonth(min(order_time), {tz:String}) AS cohort
        FROM orders
        WHERE user_id != ''
        GROUP BY user_id
        HAVING cohort >= toStartOfMonth(d_from) AND cohort < d_to
    ),
    sizes AS (SELECT cohort, count() AS cohort_size FROM cohorts GROUP BY cohort),
    active AS (
        SELECT c.cohort AS cohort, toInt64(dateDiff('month', c.cohort, a.month)) AS month_offset, count() AS retained
        FROM cohorts AS c
        INNER JOIN
        (
            SELECT DISTINCT user_id, toStartOfMonth(order_time, {tz:String}) AS month
            FROM orders
            WHERE user_id IN (SELECT user_id FROM cohorts)
        ) AS a ON a.user_id = c.user_id
        GROUP BY cohort, month_offset
    ),
    grid AS (SELECT cohort, cohort_size, toInt64(arrayJoin(range(12))) AS month_offset FROM sizes)
SELECT
    g.cohort AS cohort,
    g.cohort_size AS cohort_size,
    g.month_offset AS month_offset,
    a.retained AS retained,
    if(addMonths(g.cohort, g.month_offset) > toStartOfMonth(now(), {tz:String}), NULL, a.retained / g.cohort_size) AS retention
FROM grid AS g
LEFT JOIN active AS a ON a.cohort = g.cohort AND a.month_offset = g.month_offset
ORDER BY cohort, month_offset
