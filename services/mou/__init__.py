"""The MoU service: MoUs (Nota Kesepahaman), parties, signatures, working team. Port 8002."""

SERVICE = "mou"
DEFAULT_PORT = 8002
