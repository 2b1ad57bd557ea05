"""``python -m services.agency``: serve the agency service on port 8001 (or ``PORT``)."""

from services.agency import DEFAULT_PORT, SERVICE
from services.agency.bootstrap import build_app
from shared.http.app import run_service
from shared.settings import ServiceSettings

if __name__ == "__main__":
    run_service(SERVICE, ServiceSettings(), build_app, DEFAULT_PORT)
