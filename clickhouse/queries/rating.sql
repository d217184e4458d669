-- rating: Course Rated events in [from, to) per course: ratings (count),
-- stars_sum and rating (mean stars). The catalog shapes the overall figures
-- from these rows (exact: integer sums) and shows the rows with group_by=course.
WITH
    toDateTime64({from:String}, 3, {tz:String}) AS t_from,
    toDateTime64({to:String}, 3, {tz:String}) AS t_to
SELECT
    course_id,
    count() AS ratings,
    sum(toUInt64(stars)) AS stars_sum,
    stars_sum / ratings AS rating
FROM events
WHERE event = 'Course Rated' AND stars IS NOT NULL AND event_time >= t_from AND event_time < t_to
GROUP BY course_id
ORDER BY ratings DESC, course_id
