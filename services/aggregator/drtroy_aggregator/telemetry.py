"""The aggregator's Prometheus metrics."""

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("aggregator_messages_total", "Messages consumed", ["outcome"])
INSERTED = Counter("aggregator_rows_inserted_total", "Rows inserted into ClickHouse (after dedup)")
DUPLICATES = Counter(
    "aggregator_duplicates_total", "Rows dropped because their messageId was already stored"
)
DEAD_LETTERS = Counter("aggregator_dead_letters_total", "Messages sent to the dead-letter topic")
BATCH_ROWS = Histogram(
    "aggregator_batch_rows",
    "Rows per flushed batch",
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 20000),
)
INSERT_SECONDS = Histogram(
    "aggregator_insert_seconds",
    "Time of one dedup+insert",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
LAG = Gauge("aggregator_consumer_lag", "Messages behind the log end, per partition", ["partition"])
LAST_COMMIT = Gauge(
    "aggregator_last_commit_timestamp_seconds", "Unix time of the last offset commit"
)
