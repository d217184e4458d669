"""The uptime prober: checks configured HTTP targets on their own cadence and
sends one ``Uptime Check`` event per check through the collector.

Reads top-down: :mod:`.cli` (command line), :mod:`.config` (targets),
:mod:`.runner` (one asyncio task per target), :mod:`.check` (one check and
its event, pure where it can be), :mod:`.sender` (batched, retried delivery
to the collector).
"""
