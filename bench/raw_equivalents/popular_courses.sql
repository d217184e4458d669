-- popular_courses from the raw `events` table (bench only): the counts that
-- clickhouse/queries/popular_courses.sql reads from course_events_by_hour are
-- counted here from the events; the revenue part already reads `events` and
-- is the same text.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    counts AS (
        SELECT
            toString(course_id) AS course_id,
            countIf(event = 'Course Enrolled') AS enrollments,
            countIf(event = 'Lesson Started') AS lesson_starts,
            countIf(event = 'Course Completed') AS completions
        FROM events
        WHERE event IN ('Course Enrolled', 'Lesson Started', 'Course Completed')
          AND event_time >= p_from AND event_time < p_to AND course_id != ''
        GROUP BY course_id
    ),
    orders AS (
        SELECT
            order_id,
            min(event_time) AS placed_at,
            toDecimal128(ifNull(argMin(revenue, (event_time, message_id)), 0), 4) AS order_revenue,
            argMin(product_course_ids, (event_time, message_id)) AS course_ids,
            argMin(product_prices, (event_time, message_id)) AS prices
        FROM events
        WHERE event = 'Order Completed' AND order_id != ''
          AND order_id IN (
              SELECT order_id FROM events
              WHERE event = 'Order Completed' AND event_time >= p_from AND event_time < p_to
          )
        GROUP BY order_id
        HAVING placed_at >= p_from AND placed_at < p_to
    ),
    allocated AS (
        SELECT
            line_course_id AS course_id,
            sum(if(price_total > 0,
                   order_revenue * toDecimal128(line_price, 4) / toDecimal128(price_total, 4),
                   toDecimal128(order_revenue, 8) / length(course_ids))) AS revenue
        FROM
        (
            SELECT *, arraySum(prices) AS price_total FROM orders
        )
        ARRAY JOIN course_ids AS line_course_id, prices AS line_price
        WHERE line_course_id != ''
        GROUP BY course_id
    )
SELECT
    if(c.course_id != '', c.course_id, a.course_id) AS course_id,
    c.enrollments AS enrollments,
    c.lesson_starts AS lesson_starts,
    c.completions AS completions,
    round(a.revenue, 4) AS revenue
FROM counts AS c
FULL OUTER JOIN allocated AS a ON c.course_id = a.course_id
ORDER BY enrollments DESC, lesson_starts DESC, revenue DESC, course_id
