"""Load the hand-written example messages that sit beside the models.

Every component's tests run these through their code, so a change to the
contract shows up everywhere at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).with_name("examples")


def load_examples() -> dict[str, dict[str, Any]]:
    """Example name (file stem) -> Segment message."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(EXAMPLES_DIR.glob("*.json"))}
