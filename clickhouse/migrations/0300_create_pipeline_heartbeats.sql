-- pipeline_heartbeats: the aggregator's own heartbeat records, as stored.
--
-- Why it exists: freshness (now minus the newest data visible in ClickHouse)
-- must stay meaningful when the site is quiet. Every few seconds the
-- aggregator produces one tiny heartbeat record to each partition of the
-- events topic; the consumer recognises it (a Kafka header, never an event)
-- and stores it here after the events of the same batch. A heartbeat visible
-- here therefore proves everything before it on its partition is stored, and
-- a stalled consumer shows as heartbeats piling up in Kafka (lag) and an
-- ageing newest heartbeat (freshness). Kept out of `events` so no metric
-- ever counts it.
--
-- Sort key: sent_at, because the only question asked is "the newest one".
-- A replayed batch may store a heartbeat twice; max() does not care.
-- The TTL only bounds the size (about one row per partition per interval);
-- nothing relies on it for correctness.
CREATE TABLE IF NOT EXISTS pipeline_heartbeats
(
    source      String,                     -- host:pid of the aggregator that sent it
    sent_at     DateTime64(3, 'UTC'),       -- when it was produced
    _partition  UInt16,
    _offset     UInt64,
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY sent_at
TTL toDateTime(sent_at) + INTERVAL 3 DAY;
