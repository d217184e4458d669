-- course_events_by_hour: enrollments, lesson starts and course completions per
-- UTC hour and course.
--
-- Why it exists: popular_courses counts these events per course over any
-- period from small rows. Grain: (hour UTC, course_id, event).
-- SummingMergeTree read with sum().
CREATE TABLE IF NOT EXISTS course_events_by_hour
(
    hour      DateTime('UTC'),
    course_id LowCardinality(String),
    event     LowCardinality(String),
    events    UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, course_id, event);
