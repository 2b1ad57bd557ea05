"""The four MPP services; each starts with ``python -m services.<name>``."""
