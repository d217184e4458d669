"""The wire contract of drtroy-metrics, defined once.

- :mod:`.envelope`: the Segment-spec message the collector accepts.
- :mod:`.events`: every event of the tracking plan, its properties and trust.
- :mod:`.collected`: what the collector produces to Kafka for the aggregator,
  and the dead-letter record.
- :mod:`.registry`: name -> spec lookup and per-event validation.

JSON Schema files under ``json/`` are generated from these models
(``python -m drtroy_schemas.generate``); a test fails when they are stale.
Example messages under ``examples/`` are used by every component's tests.
"""

from .collected import CollectedEvent, DeadLetter, Enrichment
from .envelope import CALL_TYPES, Context, Message
from .events import CLIENT, SERVER, Trust
from .registry import EVENTS, EventSpec, Refusal, spec_for, validate_message

__all__ = [
    "CALL_TYPES",
    "CLIENT",
    "EVENTS",
    "SERVER",
    "CollectedEvent",
    "Context",
    "DeadLetter",
    "Enrichment",
    "EventSpec",
    "Message",
    "Refusal",
    "Trust",
    "spec_for",
    "validate_message",
]
