"""The agency service: agencies and the services (layanan) they offer. Port 8001."""

SERVICE = "agency"
DEFAULT_PORT = 8001
