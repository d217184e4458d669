"""Write the JSON Schema files under ``json/`` from the pydantic models.

Run ``python -m drtroy_schemas.generate`` after changing a model; the test
``test_json_schemas_are_fresh`` fails while the files are stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .collected import CollectedEvent, DeadLetter
from .envelope import Message
from .registry import EVENTS

JSON_DIR = Path(__file__).with_name("json")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for the envelope, the wire records and every event."""
    out: dict[str, dict[str, Any]] = {
        "message.json": Message.model_json_schema(),
        "collected_event.json": CollectedEvent.model_json_schema(),
        "dead_letter.json": DeadLetter.model_json_schema(),
    }
    for spec in EVENTS.values():
        schema = spec.props.model_json_schema()
        schema["title"] = spec.name
        schema["description"] = spec.description
        schema["x-trust"] = spec.trust
        schema["x-call"] = spec.call
        schema["x-field"] = spec.field
        if spec.traits_trust:
            schema["x-traits-trust"] = spec.traits_trust
        out[f"event_{slug(spec.name)}.json"] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> None:
    JSON_DIR.mkdir(exist_ok=True)
    wanted = schemas()
    for old in JSON_DIR.glob("*.json"):
        if old.name not in wanted:
            old.unlink()
    for name, schema in wanted.items():
        (JSON_DIR / name).write_text(render(schema))
    print(f"wrote {len(wanted)} JSON Schema files to {JSON_DIR}")


if __name__ == "__main__":
    main()
