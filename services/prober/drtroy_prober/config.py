"""Targets: what to check, how, and how often.

Sources, merged in this order (a later source replaces a target of the same
name): a config file (JSON or TOML), the ``PROBE_TARGETS`` environment
variable (the same JSON, or the shorthand ``name=url,name=url``), and
command-line ``--target name=url`` flags.

File shape (JSON; TOML uses ``[[targets]]`` tables with the same keys)::

    {"interval_s": 30, "timeout_s": 10,          # defaults for every target
     "targets": [{"name": "website", "url": "https://drtroy.example/",
                  "method": "GET", "expect_status": 200,
                  "body_contains": "Dr. Troy", "timeout_s": 5, "interval_s": 60}]}

A bare JSON list of targets is accepted too.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_INTERVAL_S = 30.0
DEFAULT_TIMEOUT_S = 10.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "OPTIONS"})


class ConfigError(ValueError):
    """A target definition that can't be used; the text names it and the field."""


class Target(BaseModel):
    """One monitored URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str
    method: str = "GET"
    # One status or a list of acceptable ones. Redirects are not followed, so
    # a target that redirects needs its 3xx here.
    expect_status: tuple[int, ...] = (200,)
    body_contains: str | None = None
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=300)
    interval_s: float = Field(default=DEFAULT_INTERVAL_S, gt=0, le=86400)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        up = v.upper()
        if up not in METHODS:
            raise ValueError(f"must be one of {sorted(METHODS)}")
        return up

    @field_validator("expect_status", mode="before")
    @classmethod
    def _statuses(cls, v: Any) -> Any:
        if isinstance(v, int | str):
            v = [v]
        out = [int(s) for s in v]
        if not out or any(not 100 <= s <= 599 for s in out):
            raise ValueError("must be HTTP status codes (100-599)")
        return tuple(out)


def parse_targets(
    data: Any, defaults: Mapping[str, Any] | None = None, source: str = "config"
) -> list[Target]:
    """Targets from decoded JSON/TOML: ``{"targets": [...], <defaults>}`` or a list."""
    base: dict[str, Any] = dict(defaults or {})
    if isinstance(data, Mapping):
        for key in ("interval_s", "timeout_s"):
            if key in data:
                base[key] = data[key]
        items = data.get("targets", [])
    else:
        items = data
    if not isinstance(items, list):
        raise ConfigError(f"{source}: 'targets' must be a list")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ConfigError(f"{source}: target {i} is not an object")
        try:
            out.append(Target.model_validate({**base, **item}))
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise ConfigError(
                f"{source}: target {i} ({item.get('name', '?')}): {loc}: {first['msg']}"
            ) from e
    return out


def parse_shorthand(
    text: str, defaults: Mapping[str, Any] | None = None, source: str = "--target"
) -> list[Target]:
    """``name=url[,name=url...]`` with the default method, status and timing."""
    items = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, url = part.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ConfigError(f"{source}: {part!r} is not name=url")
        items.append({"name": name.strip(), "url": url.strip()})
    return parse_targets(items, defaults, source)


def load_file(path: Path, defaults: Mapping[str, Any] | None = None) -> list[Target]:
    """Targets from a ``.json`` or ``.toml`` file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror or e}") from e
    try:
        data = tomllib.loads(raw.decode()) if path.suffix.lower() == ".toml" else json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"{path}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {e}"
        ) from e
    return parse_targets(data, defaults, str(path))


def load_env(value: str, defaults: Mapping[str, Any] | None = None) -> list[Target]:
    """Targets from ``PROBE_TARGETS``: JSON (object or list) or ``name=url`` pairs."""
    text = value.strip()
    if not text:
        return []
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"PROBE_TARGETS: not valid JSON: {e}") from e
        return parse_targets(data, defaults, "PROBE_TARGETS")
    return parse_shorthand(text, defaults, "PROBE_TARGETS")


def merge(*sources: Iterable[Target]) -> list[Target]:
    """All targets, a later one replacing an earlier one of the same name."""
    by_name: dict[str, Target] = {}
    for targets in sources:
        for t in targets:
            by_name.pop(t.name, None)
            by_name[t.name] = t
    return list(by_name.values())
