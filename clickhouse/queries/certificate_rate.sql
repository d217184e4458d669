-- certificate_rate: (user, course) pairs whose first `Course Completed` falls
-- in [from, to), and of those the pairs with a `Certificate Downloaded` for
-- that course by the same userId at any time up to now. One row per course;
-- the shape adds the totals (pairs add up across courses).
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to
SELECT
    course_id,
    count() AS completed,
    countIf((user_id, course_id) IN (
        SELECT user_id, toString(course_id) FROM events
        WHERE event = 'Certificate Downloaded' AND user_id != ''
    )) AS with_certificate,
    if(completed = 0, NULL, with_certificate / completed) AS certificate_rate
FROM
(
    SELECT user_id, toString(course_id) AS course_id
    FROM events
    WHERE event = 'Course Completed' AND user_id != '' AND course_id != ''
    GROUP BY user_id, course_id
    HAVING min(event_time) >= p_from AND min(event_time) < p_to
)
GROUP BY course_id
ORDER BY completed DESC, course_id
