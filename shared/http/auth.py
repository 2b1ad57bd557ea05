"""Bearer-key authentication with scopes, keys from the environment.

``MPP_API_KEY`` is one key with every scope. ``MPP_API_KEYS`` adds finer keys, stored only
as SHA-256 digests: ``[{"name": "seeder", "sha256": "<hex>", "scopes": ["agency:write"]}]``.
Scopes: ``agency:write``, ``mou:write``, ``mall:write``, ``notify:admin``, and ``*``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.container import ServiceContainer, service_container
from shared.errors import DomainError
from shared.http.access import ALL_SCOPES, ApiKey, ApiKeys, HttpAccess

__all__ = ["ALL_SCOPES", "ApiKey", "ApiKeys", "Forbidden", "Unauthorized", "require_scope"]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")


class Unauthorized(DomainError):
    """The request carries no key, or one that is not valid."""


class Forbidden(DomainError):
    """The key is valid but lacks the scope the request needs."""


def require_scope(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that lets the request through only with a key that has ``scope``.

    Failed authentications count against the client's address (the container's limiter);
    over the limit, every request needing a key gets 429 before its key is even looked at.
    """

    async def dependency(
        request: Request,
        container: ServiceContainer = Depends(service_container),
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> ApiKey:
        access: HttpAccess = container.access
        client = request.client.host if request.client else "unknown"
        access.limiter.check(client)
        key = None
        if credentials is not None and credentials.scheme.lower() == "bearer":
            key = access.keys.find(credentials.credentials)
        if key is None:
            access.limiter.record_failure(client)
            if credentials is None or credentials.scheme.lower() != "bearer":
                raise Unauthorized("This request needs Authorization: Bearer <key>.")
            raise Unauthorized("The bearer key is not valid.")
        if not key.allows(scope):
            raise Forbidden(f"The key {key.name!r} lacks the scope {scope!r}.", scope=scope)
        return key

    return dependency
