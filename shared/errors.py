"""Domain errors: what went wrong in the language of the domain, free of HTTP.

Each says what was refused and why (``detail``), with facts a caller may act on as
``extensions`` (``field``, ``current_state``, ``current_version``, ...). How each is answered
over HTTP (status, problem type, title, headers) is the HTTP layer's: ``shared.http.problems``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused a command."""

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    """What the command names does not exist."""


class Conflict(DomainError):
    """The command clashes with what is stored (a duplicate, a second signature, ...)."""


class InvalidTransition(Conflict):
    """The aggregate's current state does not allow the command."""

    def __init__(self, detail: str, *, current_state: str, **extensions: Any) -> None:
        super().__init__(detail, current_state=current_state, **extensions)


class ConcurrentModification(Conflict):
    """Someone else changed the aggregate between our read and our write."""


class PreconditionFailed(DomainError):
    """The command was based on a version that is no longer current."""


class RuleViolated(DomainError):
    """A field's value breaks a rule; ``field`` names it (e.g. ``parties[2].agency_id``)."""

    def __init__(self, detail: str, *, field: str, **extensions: Any) -> None:
        super().__init__(
            f"{field}: {detail}",
            field=field,
            errors=[{"field": field, "message": detail}],
            **extensions,
        )
        self.field = field
