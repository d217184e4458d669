"""The wire contract: examples, trust levels, JSON Schema freshness."""

from __future__ import annotations

import copy

import pytest
from drtroy_schemas import EVENTS, Refusal, validate_message
from drtroy_schemas.example_messages import load_examples
from drtroy_schemas.generate import JSON_DIR, render, schemas

EXAMPLES = load_examples()


def test_json_schemas_are_fresh() -> None:
    wanted = schemas()
    on_disk = {p.name for p in JSON_DIR.glob("*.json")}
    assert on_disk == set(wanted), "run `make schemas`: JSON Schema files differ from the models"
    for name, schema in wanted.items():
        assert (JSON_DIR / name).read_text() == render(schema), (
            f"{name} is stale: run `make schemas`"
        )


def test_every_event_of_the_tracking_plan_has_an_example() -> None:
    described = set()
    for msg in EXAMPLES.values():
        described.add(msg["event"] if msg["type"] == "track" else msg["type"])
    assert set(EVENTS) <= described


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_validate_with_a_server_key(name: str) -> None:
    assert not isinstance(validate_message(EXAMPLES[name], "server"), Refusal)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_browser_key_is_refused_exactly_the_server_events(name: str) -> None:
    msg = EXAMPLES[name]
    label = msg["event"] if msg["type"] == "track" else msg["type"]
    result = validate_message(msg, "client")
    spec = EVENTS.get(label)
    if spec is not None and spec.trust == "server":
        assert isinstance(result, Refusal) and result.status == 403
        assert label in result.reason
    else:
        assert not isinstance(result, Refusal)


@pytest.mark.parametrize(
    "example, path, value, expect",
    [
        ("order_completed", ("properties", "order_id"), None, "order_id"),
        ("order_completed", ("properties", "revenue"), "lots", "revenue"),
        ("order_completed", ("properties", "products"), [], "products"),
        ("lesson_started", ("properties", "lesson_index"), 0, "lesson_index"),
        ("nps_submitted", ("properties", "score"), 11, "score"),
        ("course_rated", ("properties", "stars"), 0, "stars"),
        ("identify", ("traits", "profession"), "MD", "profession"),
        ("identify", ("traits", "license_state"), "Texas", "license_state"),
        ("expense_recorded", ("properties", "category"), "fun", "category"),
        ("uptime_check", ("properties", "ok"), "maybe", "ok"),
        ("page", ("anonymousId",), None, "anonymousId or userId"),
    ],
)
def test_missing_or_ill_typed_required_property_is_refused_with_its_name(
    example: str, path: tuple[str, ...], value: object, expect: str
) -> None:
    msg = copy.deepcopy(EXAMPLES[example])
    target = msg
    for key in path[:-1]:
        target = target[key]
    if value is None:
        target.pop(path[-1], None)
        if path == ("anonymousId",):
            msg.pop("userId", None)
    else:
        target[path[-1]] = value
    result = validate_message(msg, "server")
    assert isinstance(result, Refusal) and result.status == 400
    assert expect in result.reason


def test_unknown_track_names_are_custom_events_from_either_key() -> None:
    msg = EXAMPLES["course_bookmarked"]
    assert not isinstance(validate_message(msg, "client"), Refusal)


def test_numeric_ids_are_coerced_to_strings() -> None:
    msg = copy.deepcopy(EXAMPLES["signed_in"])
    msg["userId"] = 1042
    checked = validate_message(msg, "server")
    assert not isinstance(checked, Refusal) and checked.userId == "1042"
