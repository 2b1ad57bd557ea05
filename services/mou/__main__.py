"""``python -m services.mou``: serve the MoU service on port 8002 (or ``PORT``)."""

from services.mou import DEFAULT_PORT, SERVICE
from services.mou.bootstrap import build_app
from services.mou.settings import MouSettings
from shared.http.app import run_service

if __name__ == "__main__":
    run_service(SERVICE, MouSettings(), build_app, DEFAULT_PORT)
