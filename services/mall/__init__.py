"""The mall service: Public Service Malls, their region, lifecycle and counters. Port 8003."""

SERVICE = "mall"
DEFAULT_PORT = 8003
