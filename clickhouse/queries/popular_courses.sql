-- popular_courses: per course in [from, to): enrollments (`Course Enrolled`
-- events), lesson starts (`Lesson Started` events), completions
-- (`Course Completed` events), all from course_events_by_hour; and revenue
-- allocated to the course's product lines of the orders placed in the period.
-- An order is counted once per order_id (the `orders` view: its first
-- delivery's time, revenue and lines); its revenue is shared across its lines
-- in proportion to their prices (evenly when the prices sum to 0).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    counts AS (
        SELECT
            toString(course_id) AS course_id,
            sumIf(events, event = 'Course Enrolled') AS enrollments,
            sumIf(events, event = 'Lesson Started') AS lesson_starts,
            sumIf(events, event = 'Course Completed') AS completions
        FROM course_events_by_hour
        WHERE hour >= p_from AND hour < p_to AND course_id != ''
        GROUP BY course_id
    ),
    placed AS (
        SELECT
            toDecimal128(revenue, 4) AS order_revenue,
            product_course_ids AS course_ids,
            product_prices AS prices
        FROM orders
        WHERE order_time >= p_from AND order_time < p_to
    ),
    allocated AS (
        SELECT
            line_course_id AS course_id,
            sum(if(price_total > 0,
                   order_revenue * toDecimal128(line_price, 4) / toDecimal128(price_total, 4),
                   toDecimal128(order_revenue, 8) / length(course_ids))) AS revenue
        FROM
        (
            SELECT *, arraySum(prices) AS price_total FROM placed
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
