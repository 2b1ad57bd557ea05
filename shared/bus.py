"""The command bus: one handler per command type, wired in each service's bootstrap.

A handler loads an aggregate, calls one of its methods and saves it. When another writer
saved the aggregate in between (``ConcurrentModification``) and the command did not pin a
version with ``If-Match``, the bus runs the handler again on the fresh state.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared.domain import Aggregate, ExpectedVersion
from shared.unit_of_work import DEFAULT_ATTEMPTS, Store, change, retry_on_conflict

R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)
Handler = Callable[[Any], Awaitable[Any]]


class Command(BaseModel, Generic[R]):
    """A request to change state, named in the imperative (``RegisterAgency``).

    ``R`` is what its handler returns (``class RegisterAgency(Command[Agency])``), so that
    ``CommandBus.handle`` is typed for each command.
    """

    expected_version: ExpectedVersion = None
    """The version(s) ``If-Match`` named; None to take whatever is current."""

    def arguments(self, *leave_out: str) -> dict[str, Any]:
        """The fields the command gives, as keyword arguments of the domain call it stands for.

        Nested models stay models; ``expected_version`` (for the handler, not the domain) and
        the fields ``leave_out`` names (the aggregate's id, say) are left out.
        """
        skipped = {"expected_version", *leave_out}
        return {
            name: getattr(self, name) for name in type(self).model_fields if name not in skipped
        }


class Change(Command[R]):
    """A command on one existing aggregate: ``apply`` is the domain call it stands for."""

    @property
    @abstractmethod
    def aggregate_id(self) -> str:
        """The id of the aggregate it changes."""

    @abstractmethod
    def apply(self, aggregate: R) -> None:
        """Call the domain: the one change the command asks of ``aggregate``."""


async def apply_change(store: Store[A], command: Change[A]) -> A:
    """The handler of a ``Change``: load the aggregate, check the version the command pinned,
    ``apply`` it and save what changed (see ``shared.unit_of_work.change``)."""
    return await change(store, command.aggregate_id, command.expected_version, command.apply)


class CommandBus:
    """Dispatches commands to their handlers.

    Args:
        handlers: command class to an async handler taking the command.
        attempts: tries on a concurrent modification when no version was pinned.
    """

    def __init__(
        self, handlers: dict[type[Any], Handler], attempts: int = DEFAULT_ATTEMPTS
    ) -> None:
        self._handlers = handlers
        self._attempts = attempts

    async def handle(self, command: Command[R]) -> R:
        handler = self._handlers[type(command)]
        # A pinned version cannot be met on a retry: the other writer moved past it.
        attempts = 1 if command.expected_version is not None else self._attempts
        return await retry_on_conflict(
            lambda: handler(command), name=type(command).__name__, attempts=attempts
        )
