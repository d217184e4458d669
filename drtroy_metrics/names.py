"""Topic and table names, defined once."""

EVENTS_TOPIC = "drtroy.events"
DLQ_TOPIC = "drtroy.events.dlq"
TOPICS = (EVENTS_TOPIC, DLQ_TOPIC)

AGGREGATOR_GROUP = "drtroy-aggregator"

EVENTS_TABLE = "events"
MIGRATIONS_TABLE = "schema_migrations"
