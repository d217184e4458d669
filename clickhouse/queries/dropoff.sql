-- dropoff: per course and lesson index, among the users whose first-ever
-- `Lesson Started` of the course falls in [from, to) (optionally one course):
-- reached = users whose furthest started lesson (highest lesson_index, as of
--           now) is at or past this index, so a user who skipped a lesson
--           still reached it;
-- dropped = users whose furthest started lesson is this one and who have no
--           `Course Completed` for the course (as of now).
-- Indexes run from 1 to the larger of the course's lesson_count and the
-- furthest index seen, so lessons nobody reached show reached = 0.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS p_from,
    toDateTime64({to:String}, 3, {tz:String}) AS p_to,
    pairs AS (
        SELECT
            user_id,
            toString(course_id) AS course_id,
            max(lesson_index) AS furthest,
            max(lesson_count) AS lesson_count,
            (user_id, toString(course_id)) IN (
                SELECT user_id, toString(course_id) FROM events
                WHERE event = 'Course Completed' AND user_id != ''
            ) AS completed
        FROM events
        WHERE event = 'Lesson Started' AND user_id != '' AND course_id != ''
          AND ({course:String} = '' OR course_id = {course:String})
        GROUP BY user_id, course_id
        HAVING min(event_time) >= p_from AND min(event_time) < p_to
    ),
    indexes AS (
        SELECT course_id, arrayJoin(range(1, toUInt32(greatest(max(furthest), max(lesson_count))) + 1)) AS lesson_index
        FROM pairs
        GROUP BY course_id
    )
SELECT
    i.course_id AS course_id,
    i.lesson_index AS lesson_index,
    countIf(p.furthest >= i.lesson_index) AS reached,
    countIf(p.furthest = i.lesson_index AND NOT p.completed) AS dropped
FROM indexes AS i
INNER JOIN pairs AS p ON p.course_id = i.course_id
GROUP BY course_id, lesson_index
ORDER BY course_id, lesson_index
