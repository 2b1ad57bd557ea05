"""``python -m services.notify``: serve the notify service on port 8004 (or ``PORT``)."""

from services.notify import DEFAULT_PORT, SERVICE
from services.notify.bootstrap import build_app
from services.notify.settings import NotifySettings
from shared.http.app import configure_service_logging, serve


def main() -> None:
    settings = NotifySettings()
    configure_service_logging(SERVICE, settings)
    serve(build_app(settings), settings, DEFAULT_PORT)


if __name__ == "__main__":
    main()
