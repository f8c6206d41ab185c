"""The API's hook into the metrics: what a limiter or admission control calls on a refusal.

``record_rejection("client_rate", client_id)`` counts one refused request in
``machtigen_limiter_rejections_total{reason, client}``; use a short fixed reason per kind of
refusal, and the client id (never an IP address) or None.
"""

from machtigen.metrics import instrument_pool, record_rejection

__all__ = ["instrument_pool", "record_rejection"]
