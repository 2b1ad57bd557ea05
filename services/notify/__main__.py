"""``python -m services.notify``: serve the notify service on port 8004 (or ``PORT``)."""

from services.notify import DEFAULT_PORT, SERVICE
from services.notify.bootstrap import build_app
from services.notify.settings import NotifySettings
from shared.http.app import run_service

if __name__ == "__main__":
    run_service(SERVICE, NotifySettings(), build_app, DEFAULT_PORT)
