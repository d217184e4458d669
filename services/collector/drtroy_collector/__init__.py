"""The collector: Segment-compatible HTTP ingestion -> Kafka.

A 2xx means every accepted event is durable in the broker (acks=all).
"""
