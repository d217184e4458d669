"""The collector's Prometheus metrics (one registry per process)."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "collector_requests_total", "HTTP requests by endpoint and status", ["endpoint", "status"]
)
EVENTS = Counter(
    "collector_events_total",
    "Events by outcome (accepted/refused/not_durable) and reason",
    ["outcome", "reason"],
)
PRODUCE_SECONDS = Histogram(
    "collector_produce_seconds",
    "Time to make one request's events durable in Kafka (acks=all)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "collector_batch_events", "Events per request", buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500)
)
