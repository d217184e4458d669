-- visitor_first_seen_mv: feeds visitor_first_seen (0221) from every insert
-- into events: per insert block, each non-bot visitor's earliest event time.
-- Only rows inserted after this view exists reach it; see 0221 for the
-- backfill of older events.
CREATE MATERIALIZED VIEW IF NOT EXISTS visitor_first_seen_mv TO visitor_first_seen AS
SELECT
    anonymous_id,
    min(event_time) AS first_seen
FROM events
WHERE anonymous_id != '' AND is_bot = 0
GROUP BY anonymous_id;
