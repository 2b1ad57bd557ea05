"""``python -m services.mou``: serve the MoU service on port 8002 (or ``PORT``)."""

from services.mou import DEFAULT_PORT, SERVICE
from services.mou.bootstrap import build_app
from services.mou.settings import MouSettings
from shared.http.app import configure_service_logging, serve


def main() -> None:
    settings = MouSettings()
    configure_service_logging(SERVICE, settings)
    serve(build_app(settings), settings, DEFAULT_PORT)


if __name__ == "__main__":
    main()
