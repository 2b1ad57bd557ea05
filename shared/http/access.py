"""Who may call a service: its configured API keys and its failed-authentication limiter.

Kept apart from the ``require_scope`` dependency so a service's container can hold them
without importing the dependency that reads the container.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from shared.http.ratelimit import AuthFailureLimiter
from shared.settings import ServiceSettings

ALL_SCOPES = "*"


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


@dataclass(frozen=True)
class HttpAccess:
    """A service's keys and the limiter that counts failed authentications per client."""

    keys: ApiKeys
    limiter: AuthFailureLimiter

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> HttpAccess:
        return cls(
            keys=ApiKeys.from_config(settings.mpp_api_key, settings.mpp_api_keys),
            limiter=AuthFailureLimiter(limit=settings.auth_failures_per_minute),
        )
