"""Broker identities in one command: a user per service, a subscriber role, an operator.

    python -m shared.messaging.provision --admin-url amqp://admin:…@127.0.0.1:5672/ --vhost mpp

creates (idempotently) the vhost, the users with freshly generated passwords (re-running
rotates them), their permissions and their topic permissions on ``mpp.events``, through the
RabbitMQ management HTTP API (``http://<host>:15672`` of the admin URL; ``--management-url``
overrides it), then prints shell lines to ``eval`` or put in an env file::

    AGENCY_RABBITMQ_URL=amqp://mpp-agency:…@127.0.0.1:5672/mpp
    …
    MPP_BROKER_IDENTITIES=agency=mpp-agency,mou=mpp-mou,mall=mpp-mall,notify=mpp-notify

What each identity may do (``plan``):

* a service (``mpp-agency`` …) declares ``mpp.events``/``mpp.dlx`` and queues named
  ``<service>.*``, and may publish on ``mpp.events`` only the routing keys of its own event
  types (RabbitMQ topic permissions); notify publishes none;
* the subscriber (``mpp-subscriber``) declares, binds and consumes only queues (and its own
  exchanges) under ``subscriber.``, reads ``mpp.events`` and cannot publish on it at all;
* the operator (``mpp-operator``, tag ``impersonator``) may replay dead letters with their
  original publisher's ``user_id`` (``python -m shared.messaging.dlq``).

Passwords are never logged; they appear only in the printed lines. ``--prefix`` names the
users differently (users are per broker, not per vhost: test runs use their own prefix).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from shared.events.catalogue import EVENT_TYPES
from shared.messaging.identity import SERVICES
from shared.messaging.topology import DEAD_LETTER_EXCHANGE_NAME, EVENTS_EXCHANGE_NAME

SUBSCRIBER = "subscriber"
OPERATOR = "operator"
NOTHING = "^$"
_SHARED_EXCHANGES = f"{re.escape(EVENTS_EXCHANGE_NAME)}|{re.escape(DEAD_LETTER_EXCHANGE_NAME)}"


@dataclass(frozen=True)
class BrokerUser:
    """One broker identity and what it may do in the vhost.

    Args:
        role: ``agency``, ``mou``, ``mall``, ``notify``, ``subscriber`` or ``operator``.
        name: the RabbitMQ user name.
        configure: regex of resources it may declare and delete.
        write: regex of resources it may publish to (exchanges) or bind (queues).
        read: regex of resources it may consume from (queues) or bind from (exchanges).
        topic_write: regex of routing keys it may publish on ``mpp.events``.
        topic_read: regex of routing keys it may bind to on ``mpp.events``.
        tags: RabbitMQ user tags.
    """

    role: str
    name: str
    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str = ".*"
    tags: str = ""

    @property
    def env_name(self) -> str:
        return f"{self.role.upper()}_RABBITMQ_URL"


def owned_types_pattern(service: str) -> str:
    """Regex matching exactly the routing keys (event types) ``service`` owns."""
    owned = sorted(t for t in EVENT_TYPES if t.split(".", 1)[0] == service)
    return f"^({'|'.join(re.escape(t) for t in owned)})$" if owned else NOTHING


def plan(prefix: str = "mpp-", subscriber_queues: str = SUBSCRIBER) -> list[BrokerUser]:
    """Every identity to provision, services first."""
    users = []
    for service in SERVICES:
        own = f"^({_SHARED_EXCHANGES}|{re.escape(service)}\\..*)$"
        writes_events = owned_types_pattern(service) != NOTHING
        users.append(
            BrokerUser(
                role=service,
                name=f"{prefix}{service}",
                configure=own,
                write=own
                if writes_events
                else f"^({re.escape(DEAD_LETTER_EXCHANGE_NAME)}|{re.escape(service)}\\..*)$",
                read=own,
                topic_write=owned_types_pattern(service),
            )
        )
    mine = f"{re.escape(subscriber_queues)}\\..*"
    users.append(
        BrokerUser(
            role=SUBSCRIBER,
            name=f"{prefix}{SUBSCRIBER}",
            configure=f"^{mine}$",
            write=f"^{mine}$",
            read=f"^({re.escape(EVENTS_EXCHANGE_NAME)}|{mine})$",
            topic_write=NOTHING,
        )
    )
    users.append(
        BrokerUser(
            role=OPERATOR,
            name=f"{prefix}{OPERATOR}",
            configure=".*",
            write=".*",
            read=".*",
            topic_write=".*",
            tags="impersonator",
        )
    )
    return users


def identities_line(users: list[BrokerUser]) -> str:
    """``agency=mpp-agency,…``: what ``MPP_BROKER_IDENTITIES`` must say."""
    return ",".join(f"{u.role}={u.name}" for u in users if u.role in SERVICES)


def user_url(admin_url: str, vhost: str, user: str, password: str) -> str:
    """The AMQP URL ``user`` connects with: the admin URL's host, ``vhost``, its credentials."""
    parts = urlsplit(admin_url)
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}:{parts.port or 5672}"
    return urlunsplit((parts.scheme or "amqp", netloc, "/" + quote(vhost, safe=""), "", ""))


def management_url_of(admin_url: str) -> str:
    """``http://<host>:15672`` for an AMQP URL (``https`` for ``amqps``)."""
    parts = urlsplit(admin_url)
    scheme = "https" if parts.scheme == "amqps" else "http"
    host = parts.hostname or "127.0.0.1"
    return f"{scheme}://{'[' + host + ']' if ':' in host else host}:15672"


class ManagementApi:
    """The few RabbitMQ management API calls provisioning needs (each one idempotent)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), auth=(username, password), timeout=15
        )

    @classmethod
    def for_admin_url(cls, admin_url: str, management_url: str | None = None) -> ManagementApi:
        parts = urlsplit(admin_url)
        return cls(
            management_url or management_url_of(admin_url),
            unquote(parts.username or "guest"),
            unquote(parts.password or "guest"),
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        response = self._client.request(method, path, json=body)
        if response.status_code == 404 and method == "DELETE":
            return
        if response.status_code not in (200, 201, 204):
            # the body names the problem; the request (and any password in it) is not echoed
            raise RuntimeError(
                f"RabbitMQ management API {method} {path.split('?')[0]}: "
                f"{response.status_code} {response.text[:200]}"
            )

    def put_vhost(self, vhost: str) -> None:
        self._call("PUT", f"/api/vhosts/{quote(vhost, safe='')}", {})

    def delete_vhost(self, vhost: str) -> None:
        """Delete ``vhost`` and all in it; a vhost already gone is no error."""
        self._call("DELETE", f"/api/vhosts/{quote(vhost, safe='')}")

    def grant_all(self, vhost: str, username: str) -> None:
        """Full configure, write and read rights in ``vhost`` (an administrator's own vhost)."""
        self._put_rights(vhost, username, {"configure": ".*", "write": ".*", "read": ".*"})

    def _put_rights(self, vhost: str, username: str, rights: dict[str, str]) -> None:
        path = f"/api/permissions/{quote(vhost, safe='')}/{quote(username, safe='')}"
        self._call("PUT", path, rights)

    def put_user(self, user: BrokerUser, password: str) -> None:
        body = {"password": password, "tags": user.tags}
        self._call("PUT", f"/api/users/{quote(user.name, safe='')}", body)

    def put_permissions(self, vhost: str, user: BrokerUser) -> None:
        rights = {"configure": user.configure, "write": user.write, "read": user.read}
        self._put_rights(vhost, user.name, rights)
        self._call(
            "PUT",
            f"/api/topic-permissions/{quote(vhost, safe='')}/{quote(user.name, safe='')}",
            {"exchange": EVENTS_EXCHANGE_NAME, "write": user.topic_write, "read": user.topic_read},
        )

    def delete_user(self, name: str) -> None:
        self._call("DELETE", f"/api/users/{quote(name, safe='')}")


def provision(
    admin_url: str,
    vhost: str,
    *,
    management_url: str | None = None,
    prefix: str = "mpp-",
    subscriber_queues: str = SUBSCRIBER,
) -> dict[str, str]:
    """Create the vhost, users, permissions; return the environment lines (name -> value)."""
    if vhost in ("", "/"):
        raise RuntimeError("the platform gets a vhost of its own: never '/'")
    users = plan(prefix, subscriber_queues)
    api = ManagementApi.for_admin_url(admin_url, management_url)
    lines: dict[str, str] = {}
    try:
        api.put_vhost(vhost)
        for user in users:
            password = secrets.token_urlsafe(24)
            api.put_user(user, password)
            api.put_permissions(vhost, user)
            lines[user.env_name] = user_url(admin_url, vhost, user.name, password)
    finally:
        api.close()
    lines["MPP_BROKER_IDENTITIES"] = identities_line(users)
    return lines


def password_variable(user: BrokerUser) -> str:
    """The Compose variable holding ``user``'s password: ``RABBITMQ_AGENCY_PASSWORD``..."""
    return f"RABBITMQ_{user.role.upper()}_PASSWORD"


ADMIN_PASSWORD_VARIABLE = "RABBITMQ_ADMIN_PASSWORD"


def definitions_template(vhost: str = "mpp", prefix: str = "mpp-") -> dict[str, Any]:
    """RabbitMQ definitions for Compose, each password a ``${RABBITMQ_<ROLE>_PASSWORD}``.

    ``deploy/rabbitmq/definitions.template.json`` is this, rendered; the broker container
    substitutes the variables from its environment at start (``deploy/rabbitmq/entrypoint.sh``)
    and refuses to start when one is missing, so no password has a default.
    """
    users = plan(prefix)
    admin = {"name": f"{prefix}admin", "password": "${" + ADMIN_PASSWORD_VARIABLE + "}"}
    return {
        "vhosts": [{"name": vhost}],
        "users": [
            {**admin, "tags": ["administrator"]},
            *(
                {
                    "name": u.name,
                    "password": "${" + password_variable(u) + "}",
                    "tags": [u.tags] if u.tags else [],
                }
                for u in users
            ),
        ],
        "permissions": [
            {"user": admin["name"], "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"},
            *(
                {
                    "user": u.name,
                    "vhost": vhost,
                    "configure": u.configure,
                    "write": u.write,
                    "read": u.read,
                }
                for u in users
            ),
        ],
        "topic_permissions": [
            {
                "user": u.name,
                "vhost": vhost,
                "exchange": EVENTS_EXCHANGE_NAME,
                "write": u.topic_write,
                "read": u.topic_read,
            }
            for u in users
        ],
    }


def compose_passwords(prefix: str = "mpp-") -> dict[str, str]:
    """Fresh passwords for every ``RABBITMQ_*_PASSWORD`` the Compose file requires."""
    names = [ADMIN_PASSWORD_VARIABLE, *(password_variable(u) for u in plan(prefix))]
    return {name: secrets.token_urlsafe(24) for name in names}


def deprovision(admin_url: str, *, management_url: str | None = None, prefix: str = "mpp-") -> None:
    """Delete the users ``provision`` created with ``prefix`` (the vhost stays)."""
    api = ManagementApi.for_admin_url(admin_url, management_url)
    try:
        for user in plan(prefix):
            api.delete_user(user.name)
    finally:
        api.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.provision",
        description="Create the MPP broker identities; prints NAME=value lines.",
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("RABBITMQ_ADMIN_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        help="AMQP URL of a user with the administrator tag (RABBITMQ_ADMIN_URL)",
    )
    parser.add_argument("--vhost", default="mpp", help="the platform's vhost (never '/')")
    parser.add_argument("--management-url", default=None, help="default http://<host>:15672")
    parser.add_argument("--prefix", default="mpp-", help="prefix of the user names")
    parser.add_argument("--subscriber-queues", default=SUBSCRIBER, help="subscriber's prefix")
    parser.add_argument("--remove", action="store_true", help="delete the users instead")
    parser.add_argument(
        "--compose-env",
        action="store_true",
        help="print fresh RABBITMQ_*_PASSWORD lines for Compose's .env (no broker needed)",
    )
    parser.add_argument(
        "--definitions-template",
        action="store_true",
        help="print deploy/rabbitmq/definitions.template.json (no broker needed)",
    )
    args = parser.parse_args(argv)
    if args.compose_env:
        for name, value in compose_passwords().items():
            print(f"{name}={value}")
        return 0
    if args.definitions_template:
        print(json.dumps(definitions_template(args.vhost), indent=2))
        return 0
    try:
        if args.remove:
            deprovision(args.admin_url, management_url=args.management_url, prefix=args.prefix)
            return 0
        lines = provision(
            args.admin_url,
            args.vhost,
            management_url=args.management_url,
            prefix=args.prefix,
            subscriber_queues=args.subscriber_queues,
        )
    except (RuntimeError, httpx.HTTPError) as error:
        print(f"provision: {error}", file=sys.stderr)
        return 1
    for name, value in lines.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
