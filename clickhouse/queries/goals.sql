-- goals: the values behind the school's goals for the period [from, to); the
-- catalog adds the targets (GOALS_* settings) and whether each is met.
-- active_users: distinct userIds with any event in the 30 zone days before `to`.
-- monthly_net_revenue: net revenue of the calendar month (zone) holding the
--   period's last day, from that month's start up to `to` (a whole month when
--   the period ends at a month's end; month-to-date otherwise).
-- course completion: (user, course) pairs whose first-ever Lesson Started is
--   in the period (started), of those the ones with a Course Completed by now
--   (completed); course_completion_rate = completed / started (as the
--   course_completion metric over all courses).
-- average_rating: mean stars of the period's Course Rated events.
-- Ratios are null when their denominator is zero.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to,
    toDate({to:String}) AS d_to,
    toDateTime64(toString(d_to - 30), 3, {tz:String}) AS t_active_from,
    toDateTime64(toString(toStartOfMonth(d_to - 1)), 3, {tz:String}) AS t_month_from,
    pairs AS (
        SELECT user_id, course_id, min(event_time) AS first_start
        FROM events
        WHERE event = 'Lesson Started' AND user_id != '' AND course_id != ''
        GROUP BY user_id, course_id
        HAVING first_start >= t_from AND first_start < t_to
    )
SELECT
    (SELECT uniqExact(user_id) FROM events WHERE user_id != '' AND event_time >= t_active_from AND event_time < t_to) AS active_users,
    (SELECT sum(revenue) FROM orders WHERE order_time >= t_month_from AND order_time < t_to)
    - (
        SELECT sum(amount)
        FROM refunds
        WHERE refund_time >= t_month_from AND refund_time < t_to
    ) AS monthly_net_revenue,
    (SELECT count() FROM pairs) AS completion_started,
    (
        SELECT count() FROM pairs
        WHERE (user_id, course_id) IN
            (SELECT user_id, toString(course_id) FROM events WHERE event = 'Course Completed' AND user_id != '')
    ) AS completion_completed,
    if(completion_started = 0, NULL, completion_completed / completion_started) AS course_completion_rate,
    (
        SELECT count()
        FROM events
        WHERE event = 'Course Rated' AND stars IS NOT NULL AND event_time >= t_from AND event_time < t_to
    ) AS ratings,
    (
        SELECT sum(toUInt64(stars))
        FROM events
        WHERE event = 'Course Rated' AND stars IS NOT NULL AND event_time >= t_from AND event_time < t_to
    ) AS stars_sum,
    if(ratings = 0, NULL, stars_sum / ratings) AS average_rating
