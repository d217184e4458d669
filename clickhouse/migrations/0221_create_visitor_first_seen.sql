-- visitor_first_seen: when each visitor (anonymous_id) was first seen, bots
-- left out.
--
-- Why it exists: return_visits asks "did this visitor have a non-bot event
-- before the period?", which on the raw table scans the whole history before
-- the period. This table answers it from one small row per visitor.
-- Grain: anonymous_id (one row per visitor once merged; parts not merged yet
-- may hold several). first_seen is SimpleAggregateFunction(min): merges keep
-- the minimum, and readers stay exact without merges by taking min()
-- GROUP BY anonymous_id, or by asking "any row before X" (a visitor's minimum
-- is before X exactly when one of its rows is). Late events are fine: min
-- does not depend on arrival order.
-- Fed by visitor_first_seen_mv (0222) from inserts into events made after the
-- view exists; a warehouse holding events from before that needs a one-off
-- backfill:
--   INSERT INTO visitor_first_seen SELECT anonymous_id, min(event_time)
--   FROM events WHERE anonymous_id != '' AND is_bot = 0 GROUP BY anonymous_id
CREATE TABLE IF NOT EXISTS visitor_first_seen
(
    anonymous_id String,
    first_seen   SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY anonymous_id;
