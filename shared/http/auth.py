"""Bearer-key authentication with scopes, keys from the environment.

``MPP_API_KEY`` is one key with every scope. ``MPP_API_KEYS`` adds finer keys, stored only
as SHA-256 digests: ``[{"name": "seeder", "sha256": "<hex>", "scopes": ["agency:write"]}]``.
Scopes: ``agency:write``, ``mou:write``, ``mall:write``, ``notify:admin``, and ``*``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import DomainError
from shared.http.ratelimit import AuthFailureLimiter

ALL_SCOPES = "*"

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")


class Unauthorized(DomainError):
    """The request carries no key, or one that is not valid."""


class Forbidden(DomainError):
    """The key is valid but lacks the scope the request needs."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return ALL_SCOPES in self.scopes or scope in self.scopes


class ApiKeys:
    """The configured keys; looks one up by constant-time digest comparison."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = keys

    @classmethod
    def from_config(cls, master_key: str | None, keys_json: str | None) -> ApiKeys:
        keys: list[ApiKey] = []
        if master_key:
            keys.append(ApiKey("MPP_API_KEY", _digest(master_key), frozenset({ALL_SCOPES})))
        if keys_json:
            for i, raw in enumerate(json.loads(keys_json)):
                keys.append(
                    ApiKey(
                        name=str(raw.get("name", f"key-{i}")),
                        sha256=str(raw["sha256"]).lower(),
                        scopes=frozenset(raw.get("scopes", [])),
                    )
                )
        return cls(keys)

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def find(self, presented: str) -> ApiKey | None:
        digest = _digest(presented)
        found = None
        for key in self._keys:
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return found


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def require_scope(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that lets the request through only with a key that has ``scope``.

    Failed authentications count against the client's address (``app.state.auth_limiter``);
    over the limit, every request needing a key gets 429 before its key is even looked at.
    """

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> ApiKey:
        keys: ApiKeys = request.app.state.api_keys
        limiter: AuthFailureLimiter | None = getattr(request.app.state, "auth_limiter", None)
        client = request.client.host if request.client else "unknown"
        if limiter is not None:
            limiter.check(client)
        key = None
        if credentials is not None and credentials.scheme.lower() == "bearer":
            key = keys.find(credentials.credentials)
        if key is None:
            if limiter is not None:
                limiter.record_failure(client)
            if credentials is None or credentials.scheme.lower() != "bearer":
                raise Unauthorized("This request needs Authorization: Bearer <key>.")
            raise Unauthorized("The bearer key is not valid.")
        if not key.allows(scope):
            raise Forbidden(f"The key {key.name!r} lacks the scope {scope!r}.", scope=scope)
        return key

    return dependency
