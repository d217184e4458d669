"""drtroy-metrics: event tracking and success metrics for the school.

This package holds what the services share (settings, names, the ClickHouse
warehouse and its migrations, the Kafka helpers) and the command line.
"""

__version__ = "0.1.0"
