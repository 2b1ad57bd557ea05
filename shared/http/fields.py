"""Request bodies and fields whose OpenAPI schema says exactly what the server accepts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """What a client sends: a field the body does not name is refused (422), not ignored.

    (Pydantic does not pass this docstring on: each body's schema keeps its own, or none.)
    """

    model_config = ConfigDict(extra="forbid")


def omittable_not_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for a PATCH field that may be left out but never sent as null.

    Pydantic documents ``str | None = None`` as nullable; the server refuses null there (a
    validator does), so the schema drops the ``null`` branch and the default.
    """
    branches = schema.pop("anyOf", None)
    if branches is not None:
        kept = [branch for branch in branches if branch.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    schema.pop("default", None)


def refuse_null(value: Any) -> Any:
    """Validator body for the fields ``omittable_not_null`` documents."""
    if value is None:
        raise ValueError("cannot be null; leave the field out to keep it")
    return value
