"""Reading RABBITMQ_URL, hiding passwords, and the failover connection FastStream is given."""

from __future__ import annotations

import aiormq.exceptions
import pytest

from shared.messaging.connection import (
    BrokerRefused,
    BrokerUnreachable,
    FailoverConnection,
    Nodes,
    broker_urls,
    connect_first,
    failover_broker,
    refusal,
)
from shared.secrets import redact_url


def test_rabbitmq_url_may_list_several_nodes_in_order_of_preference() -> None:
    assert broker_urls(" amqp://u:p@rabbit1:5672/mpp , amqp://u:p@rabbit2:5673/mpp,") == [
        "amqp://u:p@rabbit1:5672/mpp",
        "amqp://u:p@rabbit2:5673/mpp",
    ]


def test_an_entry_that_is_not_an_amqp_url_is_named_without_its_password() -> None:
    with pytest.raises(ValueError, match=r"http://u:\*\*\*@rabbit:15672/") as raised:
        broker_urls("amqp://u:secret@rabbit:5672/,http://u:secret@rabbit:15672/")
    assert "secret" not in str(raised.value)


def test_a_broker_url_is_logged_without_its_password_and_keeps_everything_else() -> None:
    # One redaction rule for every URL (shared.secrets), the broker's included.
    assert redact_url("amqps://mpp:s3cr%40t@rabbit:5671/mpp?heartbeat=30") == (
        "amqps://mpp:***@rabbit:5671/mpp?heartbeat=30"
    )
    assert redact_url("amqp://rabbit/") == "amqp://rabbit/"


def test_a_refused_login_and_a_missing_vhost_are_refusals_and_an_outage_is_not() -> None:
    url = "amqp://mpp:pw@rabbit:5672/mpp"
    login = refusal(aiormq.exceptions.ProbableAuthenticationError("ACCESS_REFUSED"), url)
    assert login is not None and "'mpp'" in login and "password" in login
    frame = aiormq.exceptions.InvalidFrameError(
        "Expected one of ['Connection.OpenOk'], got <Connection.Close object at 0x1>"
    )
    vhost = refusal(frame, url)
    assert vhost is not None and "virtual host 'mpp'" in vhost
    assert refusal(aiormq.exceptions.AMQPConnectionError(111, "refused"), url) is None
    assert refusal(ConnectionRefusedError(), url) is None


def test_the_broker_is_given_a_connection_class_that_starts_at_the_preferred_node() -> None:
    broker, nodes = failover_broker(["amqp://a:1@one:5672/", "amqp://a:1@two:5672/"])
    connection_class = broker._connection_kwargs["connection_class"]
    assert issubclass(connection_class, FailoverConnection)
    assert connection_class.nodes is nodes and nodes.url == "amqp://a:1@one:5672/"


async def test_start_up_stops_at_once_on_a_refusal_and_names_the_node() -> None:
    calls: list[str] = []

    async def refuse(url: str) -> None:
        calls.append(url)
        raise aiormq.exceptions.ProbableAuthenticationError("ACCESS_REFUSED")

    nodes = Nodes(["amqp://u:pw@one:5672/", "amqp://u:pw@two:5672/"])
    with pytest.raises(BrokerRefused, match=r"amqp://u:\*\*\*@one:5672/.*ACCESS_REFUSED"):
        await connect_first(nodes, refuse, deadline_seconds=30)
    assert calls == ["amqp://u:pw@one:5672/"]


async def test_start_up_moves_on_to_the_next_node_that_answers() -> None:
    async def only_two(url: str) -> str:
        if "two" not in url:
            raise ConnectionRefusedError(111, "refused")
        return url

    nodes = Nodes(["amqp://u:pw@one:5672/", "amqp://u:pw@two:5672/"])
    assert await connect_first(nodes, only_two, deadline_seconds=30) == "amqp://u:pw@two:5672/"
    assert nodes.url == "amqp://u:pw@two:5672/"


async def test_an_unreachable_broker_ends_in_one_message_of_what_was_tried_for_how_long() -> None:
    async def refuse(url: str) -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    nodes = Nodes(["amqp://u:pw@one:5672/", "amqp://u:pw@two:5672/"])
    with pytest.raises(BrokerUnreachable) as raised:
        await connect_first(nodes, refuse, deadline_seconds=0.6, max_wait=0.2)
    message = str(raised.value)
    assert "tried amqp://u:***@one:5672/, amqp://u:***@two:5672/" in message
    assert "BROKER_CONNECT_TIMEOUT_SECONDS=0.6" in message and "pw" not in message
