"""The notify service: the event log, webhook subscriptions and deliveries, the live feed.

Port 8004. It consumes every event on ``mpp.events`` and publishes none.
"""

SERVICE = "notify"
DEFAULT_PORT = 8004
