"""``python -m services.mall``: serve the mall service on port 8003 (or ``PORT``)."""

from services.mall import DEFAULT_PORT, SERVICE
from services.mall.bootstrap import build_app
from shared.http.app import run_service
from shared.settings import ServiceSettings

if __name__ == "__main__":
    run_service(SERVICE, ServiceSettings(), build_app, DEFAULT_PORT)
