"""From a failure to a message on stderr and a documented exit code (see ``mppctl.main``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import typer

from mppctl.client import URL_VARIABLES, ApiError, Service, ServiceUnreachable
from mppctl.commands.context import output_for
from mppctl.output import Output

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_NOT_FOUND = 4
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 the API refused the request (4xx; the problem detail is printed"
    " on stderr); 2 usage error; 3 a service is unreachable, failed (5xx) or is not ready;"
    " 4 not found (404); 130 interrupted."
)

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(error: Exception) -> int:
    if isinstance(error, ServiceUnreachable):
        return EXIT_UNAVAILABLE
    if isinstance(error, ApiError):
        if error.status == 404:
            return EXIT_NOT_FOUND
        if error.is_server_error:
            return EXIT_UNAVAILABLE
        return EXIT_REFUSED
    return EXIT_REFUSED


def _api_error_details(error: ApiError) -> list[str]:
    """What went wrong, where: the request, each listed error, and a hint for 401/403."""
    details = [f"{error.status} {error.title} from the {error.service or '?'} service"]
    if error.method and error.url:
        details[0] += f" ({error.method} {error.url})"
    listed = error.errors
    for item in listed:
        where = item.get("field") or item.get("location") or ""
        message = str(item.get("message") or item.get("detail") or "")
        line = f"{where}: {message}" if where else message
        if line and line != error.detail:
            details.append(line)
    if error.field and not listed:
        details.append(f"field: {error.field}")
    if error.status == 401:
        details.append("hint: set MPP_API_KEY to a key the services accept")
    elif error.status == 403:
        details.append("hint: MPP_API_KEY lacks the scope this needs")
    return details


def report_error(out: Output, error: Exception) -> None:
    if isinstance(error, ApiError):
        problem = {"status": error.status, **error.problem}
        out.error(error.detail, details=_api_error_details(error), problem=problem)
    elif isinstance(error, ServiceUnreachable):
        variable = URL_VARIABLES.get(cast(Service, error.service), "")
        out.error(
            str(error),
            details=[f"hint: is it running? its address comes from {variable}"] if variable else [],
            problem={
                "status": None,
                "title": "Service unreachable",
                "detail": str(error),
                "service": error.service,
                "url": error.url,
            },
        )
    else:
        out.error(str(error))


def guarded(fn: F) -> F:
    """Turn API and connection errors into a message on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.get("ctx")
        as_json = bool(kwargs.get("as_json"))
        try:
            return fn(*args, **kwargs)
        except (ApiError, ServiceUnreachable) as error:
            # Typer hands over its own (vendored) click Context: recognise it by behaviour.
            out = (
                output_for(cast(typer.Context, ctx), as_json)
                if hasattr(ctx, "find_root")
                else Output(as_json)
            )
            report_error(out, error)
            raise typer.Exit(exit_code_for(error)) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]
