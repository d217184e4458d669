-- course_events_by_hour_mv: feeds course_events_by_hour.
CREATE MATERIALIZED VIEW IF NOT EXISTS course_events_by_hour_mv TO course_events_by_hour AS
SELECT
    toStartOfHour(toDateTime(event_time, 'UTC')) AS hour,
    course_id,
    event,
    count() AS events
FROM events
WHERE event IN ('Course Enrolled', 'Lesson Started', 'Course Completed')
GROUP BY hour, course_id, event;
