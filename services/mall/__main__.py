"""``python -m services.mall``: serve the mall service on port 8003 (or ``PORT``)."""

from services.mall import DEFAULT_PORT, SERVICE
from services.mall.bootstrap import build_app
from shared.http.app import configure_service_logging, serve
from shared.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings()
    configure_service_logging(SERVICE, settings)
    serve(build_app(settings), settings, DEFAULT_PORT)


if __name__ == "__main__":
    main()
