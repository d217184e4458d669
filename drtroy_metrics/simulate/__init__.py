"""A realistic, reproducible simulator of the school's traffic, with the
ground truth of the metrics it generates.

- :mod:`.catalog`: courses, packages, coupons and the pools visits draw from.
- :mod:`.generator`: ``generate(start, end, seed, scale)``, pure and deterministic.
- :mod:`.truth`: ``compute_truth(calls, frm, to)``, the metric catalog in plain Python.
- :mod:`.sender`: batches, keys, retries and the summary, over HTTP.
- :mod:`.cli`: ``add_arguments`` and ``run`` for ``drtroy-metrics simulate``.
"""

from .generator import generate, live_window
from .model import Call
from .truth import compute_truth

__all__ = ["Call", "compute_truth", "generate", "live_window"]
