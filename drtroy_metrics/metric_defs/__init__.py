"""Metric definitions, one module per area; importing this package registers
them all in :data:`drtroy_metrics.catalog.METRICS`."""

import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
