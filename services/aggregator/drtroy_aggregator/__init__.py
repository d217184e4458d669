"""The aggregator: Kafka -> ClickHouse, each event counted exactly once.

Steps (ordered in :mod:`.pipeline`): decode -> row -> batch -> write (drop
ids already stored, insert the rest) -> commit offset+1. A message that can't
become a row goes to the dead-letter topic with its reason, partition and
offset, and its partition keeps moving.
"""
