-- course_completion: (user, course) pairs whose first-ever `Lesson Started`
-- of the course (by userId, over all history) falls in [from, to); of those,
-- the pairs with a `Course Completed` of the course at any time up to now;
-- completion_rate = completed / started; mean_hours_to_complete = mean of
-- (first completion - first lesson start) in hours over the completed pairs.
-- One row per course and a total row (is_total = 1) over all pairs.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    starts AS (
        SELECT user_id, toString(course_id) AS course_id, min(event_time) AS first_start
        FROM events
        WHERE event = 'Lesson Started' AND user_id != '' AND course_id != ''
        GROUP BY user_id, course_id
        HAVING first_start >= p_from AND first_start < p_to
    ),
    completions AS (
        SELECT user_id, toString(course_id) AS course_id, min(event_time) AS completed_at
        FROM events
        WHERE event = 'Course Completed' AND user_id != '' AND course_id != ''
        GROUP BY user_id, course_id
    )
SELECT
    grouping(course_id) = 1 AS is_total,
    course_id,
    count() AS started,
    countIf(completed_at IS NOT NULL) AS completed,
    if(started = 0, NULL, completed / started) AS completion_rate,
    if(completed = 0, NULL,
       avgIf(dateDiff('millisecond', first_start, completed_at) / 3600000, completed_at IS NOT NULL)) AS mean_hours_to_complete
FROM starts AS s
LEFT JOIN completions AS c ON s.user_id = c.user_id AND s.course_id = c.course_id
GROUP BY GROUPING SETS ((), (course_id))
ORDER BY is_total DESC, started DESC, course_id
SETTINGS join_use_nulls = 1
