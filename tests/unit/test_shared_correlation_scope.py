"""A correlation scope names its id on every log line inside it and restores the outer one."""

from __future__ import annotations

import structlog

from shared.logging import correlation_scope, current_correlation_id


def _logged_id() -> object:
    return structlog.contextvars.get_contextvars().get("correlation_id")


def test_nested_scopes_restore_the_outer_id_for_logs_and_events() -> None:
    with correlation_scope("outer") as outer:
        with correlation_scope("inner"):
            assert (current_correlation_id(), _logged_id()) == ("inner", "inner")
        assert (current_correlation_id(), _logged_id()) == (outer, "outer")
    assert current_correlation_id() is None
    assert _logged_id() is None


def test_a_scope_without_an_id_makes_one_and_other_bound_keys_survive_it() -> None:
    structlog.contextvars.bind_contextvars(request="r-1")
    try:
        with correlation_scope(None) as made:
            assert made and _logged_id() == made
        assert structlog.contextvars.get_contextvars() == {"request": "r-1"}
    finally:
        structlog.contextvars.clear_contextvars()
