"""The read API (``/api/v1/metrics``) and the built-in dashboard."""
