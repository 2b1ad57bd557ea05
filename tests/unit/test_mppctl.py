"""mppctl: tables, --json, problem details and exit codes, the seed's idempotency, the feed.

The services are stood in for by ``httpx.MockTransport``: a fake that follows the contract
(tests/support/fake_mpp.py) or, for error paths, a handler answering exactly one thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mppctl import main as cli
from mppctl import reference_data as ref
from mppctl.client import ApiError, ClientConfig, MppClient, ServiceUnreachable
from mppctl.main import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNAVAILABLE, EXIT_USAGE, CliState, app
from mppctl.seed import Seeder, agency_unknown_to_mou_service, counter_waits_for_projection
from mppctl.sse import FeedEvent, follow, parse_sse
from tests.support.fake_mpp import API_KEY, URLS, FakeMpp

runner = CliRunner()


def invoke(client: MppClient, *args: str) -> Any:
    return runner.invoke(app, list(args), obj=CliState(client=client), env={"COLUMNS": "200"})


def answering(handler: Callable[[httpx.Request], httpx.Response]) -> MppClient:
    return MppClient(
        ClientConfig(urls=dict(URLS), api_key=API_KEY), transport=httpx.MockTransport(handler)
    )


def seeded() -> FakeMpp:
    fake = FakeMpp()
    Seeder(fake.client(), sleep=lambda _: None).run()
    return fake


@pytest.fixture(scope="module")
def loaded() -> FakeMpp:
    return seeded()


def row_of(output: str, marker: str) -> str:
    [line] = [line for line in output.splitlines() if marker in line]
    return line


# --- listing and showing ------------------------------------------------------------------------


def test_malls_list_shows_sanggau_and_hulu_sungai_selatan_inaugurated_on_their_dates(
    loaded: FakeMpp,
) -> None:
    result = invoke(loaded.client(), "malls", "list")

    assert result.exit_code == 0, result.output
    assert "KEMENDAGRI CODE" in result.stdout
    sanggau = row_of(result.stdout, "61.03")
    assert "MPP Kabupaten Sanggau" in sanggau
    assert "inaugurated" in sanggau
    assert "2022-05-24" in sanggau
    hss = row_of(result.stdout, "63.06")
    assert "MPP Kabupaten Hulu Sungai Selatan" in hss
    assert "inaugurated" in hss
    assert "2022-05-31" in hss
    assert len([line for line in result.stdout.splitlines() if "inaugurated" in line]) == 7


@pytest.mark.parametrize("placement", ["before", "after"])
def test_json_prints_the_whole_list_as_a_json_array_on_stdout(
    loaded: FakeMpp, placement: str
) -> None:
    args = ["--json", "malls", "list"] if placement == "before" else ["malls", "list", "--json"]

    result = invoke(loaded.client(), *args)

    assert result.exit_code == 0, result.output
    malls = json.loads(result.stdout)
    assert {m["region"]["regency_code"] for m in malls} == {m.regency_code for m in ref.MALLS}
    sanggau = next(m for m in malls if m["region"]["regency_code"] == "61.03")
    assert sanggau["inaugurated_at"].startswith("2022-05-24")


def test_lists_follow_the_cursor_across_pages(loaded: FakeMpp) -> None:
    client = loaded.client()

    items, more = client.collect("agency", "/agencies", limit=1000)
    paged = list(client.iterate("agency", "/agencies", page_size=3))

    assert not more
    assert len(items) == len(ref.AGENCIES)
    assert [a["code"] for a in paged] == [a["code"] for a in items]


def test_a_list_cut_short_by_limit_says_so_on_stderr(loaded: FakeMpp) -> None:
    result = invoke(loaded.client(), "agencies", "list", "--limit", "5")

    assert result.exit_code == 0
    assert "use --limit to see more" in result.stderr
    assert "use --limit" not in result.stdout


def test_an_agency_can_be_shown_by_its_code_with_its_services(loaded: FakeMpp) -> None:
    result = invoke(loaded.client(), "agencies", "show", "KEMENKUMHAM")

    assert result.exit_code == 0, result.output
    assert "Kementerian Hukum dan HAM" in result.stdout
    assert "PASPOR" in row_of(result.stdout, "Permohonan paspor")


def test_the_mou_shows_every_party_signed_and_its_working_team(loaded: FakeMpp) -> None:
    [mou] = loaded.mous.values()

    result = invoke(loaded.client(), "mous", "show", mou["id"])

    assert result.exit_code == 0, result.output
    assert "17/17 parties" in result.stdout
    assert "Menteri Dalam Negeri" in row_of(result.stdout, "Kementerian Dalam Negeri")
    assert "Ketua" in row_of(result.stdout, "Deputi Bidang Pelayanan Publik")


def test_a_mall_can_be_shown_by_its_regions_kemendagri_code(loaded: FakeMpp) -> None:
    result = invoke(loaded.client(), "malls", "show", "63.06")

    assert result.exit_code == 0, result.output
    assert "Pasar Los Batu, Kandangan" in result.stdout
    assert "Kalimantan Selatan (63)" in result.stdout
    assert "NIB, PBG" in row_of(result.stdout, "DPMPTSP_HSS")


def test_mall_stats_are_shown_as_figures(loaded: FakeMpp) -> None:
    result = invoke(loaded.client(), "malls", "stats")

    assert result.exit_code == 0, result.output
    assert "7" in row_of(result.stdout, "by_status.inaugurated")


# --- changes ------------------------------------------------------------------------------------


def test_inaugurating_a_mall_by_region_code_posts_the_date_and_who() -> None:
    fake = FakeMpp()
    client = fake.client()
    planned = client.post(
        "mall",
        "/malls",
        {
            "name": "MPP Kabupaten Sanggau",
            "region": {
                "province_code": "61",
                "regency_code": "61.03",
                "regency_name": "Kabupaten Sanggau",
            },
        },
    )

    result = invoke(
        client, "malls", "inaugurate", "61.03", "--by", "Menteri PANRB", "--at", "2022-05-24"
    )

    assert result.exit_code == 0, result.output
    assert "inaugurated on 2022-05-24" in result.stdout
    request = fake.requests[-1]
    assert request.url.path == f"/malls/{planned['id']}/inaugurate"
    assert json.loads(request.content) == {
        "inaugurated_by": "Menteri PANRB",
        "inaugurated_at": "2022-05-24T00:00:00+00:00",
    }


def test_signing_resolves_the_agency_code_and_sends_if_match(loaded: FakeMpp) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/agencies":
            return httpx.Response(200, json={"items": [{"id": "agc_1", "code": "PLN"}]})
        return httpx.Response(201, json={"id": "mou_1", "status": "signing", "parties": []})

    result = invoke(
        answering(handler),
        "mous", "sign", "mou_1", "--agency", "PLN", "--name", "N", "--title", "Direktur Utama",
        "--if-match", "7",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    sign = seen[-1]
    assert sign.headers["if-match"] == '"7"'
    assert sign.headers["authorization"] == f"Bearer {API_KEY}"
    assert json.loads(sign.content)["agency_id"] == "agc_1"


def test_a_subscription_prints_its_secret_once_on_creation() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(
            201, json={"id": "sub_1", "status": "active", "secret": "whsec_abc", **body}
        )

    result = invoke(
        answering(handler),
        "subscriptions", "create", "--url", "https://example.org/hook", "--type", "mou.*,mall.inaugurated",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "whsec_abc" in result.stdout
    assert "mou.*, mall.inaugurated" in result.stdout


# --- errors and exit codes -----------------------------------------------------------------------


def refusing(status: int, **problem: Any) -> MppClient:
    body = {"type": "https://mpp.id/problems/x", "title": "Invalid request", "status": status}
    body.update(problem)
    return answering(lambda _: httpx.Response(status, json=body))


def test_a_refused_request_prints_the_problem_detail_on_stderr_and_exits_1() -> None:
    client = refusing(
        422,
        detail="must be upper case letters, digits or _",
        field="code",
        errors=[{"field": "code", "message": "must be upper case letters, digits or _"}],
    )

    result = invoke(
        client, "agencies", "register", "--code", "bad code", "--name", "X", "--kind", "agency"
    )

    assert result.exit_code == EXIT_REFUSED == 1
    assert result.stdout == ""
    assert "Error: must be upper case letters, digits or _" in result.stderr
    assert "code: must be upper case letters, digits or _" in result.stderr
    assert "422" in result.stderr


def test_with_json_an_error_is_the_problem_document_on_stderr() -> None:
    client = refusing(
        409, detail="PLN is not a party to any MoU in force", reason="no_mou_in_force"
    )

    result = invoke(
        client, "--json", "malls", "open-counter", "mall_1", "--agency", "agc_1", "--service", "X"
    )

    assert result.exit_code == EXIT_REFUSED
    problem = json.loads(result.stderr)
    assert problem["status"] == 409
    assert problem["reason"] == "no_mou_in_force"
    assert problem["detail"] == "PLN is not a party to any MoU in force"


def test_a_missing_key_gets_a_hint_to_set_mpp_api_key() -> None:
    result = invoke(refusing(401, detail="This request needs Authorization: Bearer <key>."),
                    "mous", "terminate", "mou_1", "--reason", "x")  # fmt: skip

    assert result.exit_code == EXIT_REFUSED
    assert "MPP_API_KEY" in result.stderr


def test_something_that_does_not_exist_exits_4() -> None:
    result = invoke(refusing(404, detail="no MoU with id mou_x"), "mous", "show", "mou_x")

    assert result.exit_code == EXIT_NOT_FOUND == 4
    assert "no MoU with id mou_x" in result.stderr


def test_an_unknown_agency_code_exits_4_saying_which_code(loaded: FakeMpp) -> None:
    result = invoke(loaded.client(), "agencies", "show", "NOPE")

    assert result.exit_code == EXIT_NOT_FOUND
    assert "NOPE" in result.stderr


def test_a_server_error_exits_3() -> None:
    result = invoke(refusing(500, detail="it has been logged"), "malls", "list")

    assert result.exit_code == EXIT_UNAVAILABLE == 3
    assert "it has been logged" in result.stderr


def test_an_unreachable_service_exits_3_naming_its_url_variable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    result = invoke(answering(handler), "malls", "list")

    assert result.exit_code == EXIT_UNAVAILABLE
    assert "http://mall.test" in result.stderr
    assert "MPP_MALL_URL" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["malls", "inaugurate", "61.03", "--by", "X", "--at", "24 May 2022"],
        ["malls", "inaugurate", "61.03"],
        ["malls", "teleport"],
        [
            "agencies",
            "register",
            "--code",
            "X",
            "--name",
            "Y",
            "--kind",
            "z",
            "--service",
            "NONAME",
        ],
    ],
)
def test_usage_errors_exit_2_without_calling_any_service(args: list[str]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"items": [{"id": "mall_1", "region": {}}]})

    result = invoke(answering(handler), *args)

    assert result.exit_code == EXIT_USAGE == 2
    assert not [c for c in calls if c.method != "GET"]


def test_help_documents_the_exit_codes() -> None:
    result = runner.invoke(app, ["--help"])

    assert result.exit_code == 0
    assert "Exit codes: 0 ok; 1 the API refused" in result.stdout
    assert "4 not found" in result.stdout


# --- configuration ------------------------------------------------------------------------------


def test_urls_and_key_come_from_the_environment() -> None:
    config = ClientConfig.from_env(
        {"MPP_MOU_URL": "http://mou.internal:9002/", "MPP_API_KEY": "s3cret"}
    )

    assert config.urls["mou"] == "http://mou.internal:9002"
    assert config.urls["agency"] == "http://localhost:8001"
    assert config.urls["notify"] == "http://localhost:8004"
    assert config.api_key == "s3cret"


def test_the_cli_sends_the_key_from_mpp_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    monkeypatch.setenv("MPP_API_KEY", "from-the-env")
    monkeypatch.setenv("MPP_AGENCY_URL", "http://agency.example:1234")
    monkeypatch.setattr(
        cli, "client_factory", lambda: MppClient.from_env(transport=httpx.MockTransport(handler))
    )

    result = runner.invoke(app, ["agencies", "list"])

    assert result.exit_code == 0, result.output
    assert "No agencies." in result.stdout
    assert seen[0].headers["authorization"] == "Bearer from-the-env"
    assert str(seen[0].url).startswith("http://agency.example:1234/agencies")


# --- health -------------------------------------------------------------------------------------


def test_health_is_0_when_every_service_is_ready() -> None:
    result = invoke(FakeMpp().client(), "health")

    assert result.exit_code == 0, result.output
    for service in ("agency", "mou", "mall", "notify"):
        assert "yes" in row_of(result.stdout, f"{service}.test")


def test_health_exits_3_and_shows_which_service_is_not_ready() -> None:
    fake = FakeMpp(not_ready={"notify"})

    result = invoke(fake.client(), "health", "--json")

    assert result.exit_code == EXIT_UNAVAILABLE
    checks = {r["service"]: r for r in json.loads(result.stdout)}
    assert checks["notify"]["alive"] is True
    assert checks["notify"]["ready"] is False
    assert checks["notify"]["checks"]["broker"] == "unreachable"
    assert checks["mall"]["ready"] is True
    assert "notify" in result.stderr


def test_health_reports_an_unreachable_service_without_failing_the_others() -> None:
    fake = FakeMpp()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "mou.test":
            raise httpx.ConnectError("Connection refused", request=request)
        return fake.handle(request)

    result = invoke(answering(handler), "health")

    assert result.exit_code == EXIT_UNAVAILABLE
    assert "unreachable" in row_of(result.stdout, "mou.test")
    assert "yes" in row_of(result.stdout, "mall.test")


# --- the seed -----------------------------------------------------------------------------------


def test_seeding_an_empty_platform_loads_the_reference_data() -> None:
    fake = FakeMpp()

    result = invoke(fake.client(), "seed")

    assert result.exit_code == 0, result.output
    assert {a["code"] for a in fake.agencies.values()} == {a.code for a in ref.AGENCIES}
    kinds = {a["code"]: a["kind"] for a in fake.agencies.values()}
    assert kinds["BPJSKES"] == "public_body"
    assert kinds["TASPEN"] == "soe"
    assert kinds["DISDUKCAPIL_SANGGAU"] == "local_government"
    [mou] = fake.mous.values()
    assert mou["title"] == ref.MOU_2022.title
    assert mou["status"] == "signed"
    assert len(mou["parties"]) == 17
    assert all(p["signed_at"].startswith("2022-06-28") for p in mou["parties"])
    assert len(mou["team"]) == len(ref.MOU_2022.team)
    malls = {m["region"]["regency_code"]: m for m in fake.malls.values()}
    assert malls["61.03"]["opened_at"].startswith("2020-12-10")
    assert malls["61.03"]["inaugurated_at"].startswith("2022-05-24")
    assert malls["63.06"]["inaugurated_at"].startswith("2022-05-31")
    assert all(m["status"] == "inaugurated" for m in malls.values())
    assert all(m["counters"] for m in malls.values())
    assert "Seed data loaded: created" in result.stdout


def test_a_second_seed_run_writes_nothing_and_says_nothing_changed() -> None:
    fake = FakeMpp()
    first = Seeder(fake.client(), sleep=lambda _: None).run()
    writes_before = list(fake.writes)

    result = invoke(fake.client(), "seed")

    assert result.exit_code == 0, result.output
    assert fake.writes == writes_before
    assert "Nothing changed" in result.stdout
    assert f"created 0, updated 0, already present {len(first.items)}" in result.stdout


def test_the_seed_report_in_json_counts_what_was_already_present() -> None:
    fake = seeded()

    result = invoke(fake.client(), "seed", "--json")

    report = json.loads(result.stdout)
    assert report["changed"] is False
    assert report["created"] == report["updated"] == 0
    assert report["already_present"] == len(report["items"]) > 0


def test_the_seed_completes_a_partly_loaded_platform() -> None:
    fake = FakeMpp()
    client = fake.client()
    Seeder(client, sleep=lambda _: None, mou=ref.MOU_2022, malls=()).run()
    sanggau = next(m for m in ref.MALLS if m.regency_code == "61.03")
    client.post(
        "mall",
        "/malls",
        {
            "name": sanggau.name,
            "region": {
                "province_code": "61",
                "regency_code": "61.03",
                "regency_name": sanggau.regency_name,
            },
        },
    )
    [planned] = fake.malls.values()

    report = Seeder(client, sleep=lambda _: None).run()

    assert len(fake.malls) == len(ref.MALLS)
    assert planned["status"] == "inaugurated"
    assert planned["opened_at"].startswith("2020-12-10")
    outcomes = {(i.kind, i.key): i.outcome for i in report.items}
    assert outcomes[("mall", "61.03 MPP Kabupaten Sanggau")] == "present"
    assert outcomes[("mall opening", "61.03 MPP Kabupaten Sanggau")] == "updated"
    assert outcomes[("mou", ref.MOU_2022.title)] == "present"
    assert outcomes[("agency", "KEMENPANRB")] == "present"


def test_the_seed_adds_a_service_an_existing_agency_lacks() -> None:
    fake = FakeMpp()
    client = fake.client()
    client.post(
        "agency",
        "/agencies",
        {"code": "KEMENKUMHAM", "name": "Kementerian Hukum dan HAM", "kind": "ministry"},
    )

    report = Seeder(client, sleep=lambda _: None, malls=()).run()

    [kumham] = [a for a in fake.agencies.values() if a["code"] == "KEMENKUMHAM"]
    assert {s["code"] for s in kumham["services"]} == {"PASPOR", "PASPOR_PENGGANTIAN"}
    assert ("agency service", "KEMENKUMHAM/PASPOR", "created") in {
        (i.kind, i.key, i.outcome) for i in report.items
    }


def test_the_seed_waits_until_the_mou_service_has_learnt_the_agencies() -> None:
    fake = FakeMpp(mou_lag=3)
    sleeps: list[float] = []

    Seeder(fake.client(), sleep=sleeps.append, malls=()).run()

    assert len(sleeps) == 3
    [mou] = fake.mous.values()
    assert mou["status"] == "signed"


def test_the_seed_waits_until_the_mall_service_knows_the_mou_is_in_force() -> None:
    fake = FakeMpp(counter_lag=2)
    sleeps: list[float] = []

    Seeder(fake.client(), sleep=sleeps.append).run()

    assert len(sleeps) == 2
    assert fake.counter_lag == 0
    assert sum(len(m["counters"]) for m in fake.malls.values()) == sum(
        len(m.counters) for m in ref.MALLS
    )


def test_the_seed_gives_up_after_its_wait_with_the_services_problem_detail() -> None:
    fake = FakeMpp(mou_lag=1_000_000)

    result = invoke(fake.client(), "seed", "--wait", "0")

    assert result.exit_code == EXIT_REFUSED
    assert "is not known to the MoU service" in result.stderr
    assert not fake.mous


def test_only_projection_lag_is_retried_when_opening_a_counter() -> None:
    lag = ApiError(
        409, {"detail": "PLN is not a party to any MoU in force", "reason": "no_mou_in_force"}
    )
    duplicate = ApiError(409, {"detail": "PLN already has a counter in MPP X"})
    unknown = ApiError(422, {"detail": "agency agc_1 is unknown", "field": "agency_id"})
    closed = ApiError(409, {"detail": "MPP X is closed", "current_state": "closed"})

    assert counter_waits_for_projection(lag)
    assert counter_waits_for_projection(unknown)
    assert not counter_waits_for_projection(duplicate)
    assert not counter_waits_for_projection(closed)


def test_only_an_agency_unknown_to_the_mou_service_is_retried_when_drafting() -> None:
    lag = ApiError(
        422,
        {
            "detail": "agency agc_1 is not known to the MoU service (no agency.registered event"
            " for it has arrived)",
            "field": "parties.3.agency_id",
        },
    )
    inactive = ApiError(
        422,
        {
            "detail": "agency PLN (agc_1) is inactive and cannot become a party",
            "field": "parties.3.agency_id",
        },
    )
    too_few = ApiError(422, {"detail": "an MoU needs at least 2 parties", "field": "parties"})

    assert agency_unknown_to_mou_service(lag)
    assert not agency_unknown_to_mou_service(inactive)
    assert not agency_unknown_to_mou_service(too_few)


def test_the_reference_data_is_consistent() -> None:
    codes = [a.code for a in ref.AGENCIES]
    assert len(codes) == len(set(codes))
    assert len(ref.MOU_AGENCIES) == 17 == len(ref.MOU_2022.signatories)
    assert set(ref.MOU_2022.party_codes) == {a.code for a in ref.MOU_AGENCIES}
    assert ref.MOU_2022.signing_at.date().isoformat() == "2022-06-28"
    for mall in ref.MALLS:
        for counter in mall.counters:
            offered = {s.code for s in ref.agency_by_code(counter.agency_code).services}
            assert set(counter.services) <= offered, (mall.name, counter.agency_code)
    inaugurations = {m.regency_code: m.inaugurated_at.astimezone(UTC).date() for m in ref.MALLS}
    assert str(inaugurations["61.03"]) == "2022-05-24"


# --- the live feed ------------------------------------------------------------------------------


def sse(position: int, event_type: str, subject: str = "mall_1") -> bytes:
    event = {
        "specversion": "1.0",
        "id": f"evt-{position}",
        "type": event_type,
        "source": f"/mpp/{event_type.split('.')[0]}",
        "subject": subject,
        "time": "2022-05-24T03:00:00Z",
        "data": {"name": "MPP Kabupaten Sanggau", "region": {"regency_code": "61.03"}},
    }
    return f"id: {position}\nevent: {event_type}\ndata: {json.dumps(event)}\n\n".encode()


class Dropping(httpx.SyncByteStream):
    """Sends ``chunks``, then fails the way a dropped connection does."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx.ReadError("connection reset by peer")


def test_the_sse_parser_joins_data_lines_and_skips_comments() -> None:
    lines = [
        ": ping",
        "id: 7",
        "event: mou.signed",
        'data: {"a":',
        "data: 1}",
        "",
        "retry: 500",
        "",
    ]

    messages = list(parse_sse(lines))

    assert [(m.id, m.event, m.data) for m in messages] == [
        ("7", "mou.signed", '{"a":\n1}'),
        (None, "message", ""),
    ]
    assert messages[1].retry == 500


def test_the_feed_resumes_from_the_last_position_after_a_dropped_connection() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            stream = Dropping([sse(4, "mall.opened") + b": ping\n\n", sse(5, "mall.inaugurated")])
            return httpx.Response(200, stream=stream)
        return httpx.Response(200, content=sse(6, "mall.counter_opened"))

    seen: list[FeedEvent] = []
    notices: list[str] = []

    handled = follow(
        answering(handler),
        seen.append,
        types=["mall.*"],
        last_event_id="3",
        max_events=3,
        on_notice=notices.append,
        sleep=lambda _: None,
    )

    assert handled == 3
    assert [e.position for e in seen] == ["4", "5", "6"]
    assert requests[0].headers["last-event-id"] == "3"
    assert requests[1].headers["last-event-id"] == "5"
    assert requests[0].url.params["types"] == "mall.*"
    assert "reconnecting after position 5" in notices[0]


def test_the_feed_fails_at_once_when_notify_is_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(ServiceUnreachable):
        follow(answering(handler), lambda _: None, sleep=lambda _: None)


def test_events_tail_prints_one_line_per_event_from_the_given_position() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=sse(10, "mall.inaugurated") + sse(11, "mall.opened"))

    result = invoke(
        answering(handler),
        "events", "tail", "--types", "mall.*", "--from-position", "10", "--max-events", "2",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("#10  2022-05-24 03:00:00Z  mall.inaugurated  mall_1")
    assert "MPP Kabupaten Sanggau (61.03)" in lines[0]
    assert lines[1].startswith("#11")
    assert requests[0].headers["last-event-id"] == "9"


def test_events_tail_with_json_prints_json_lines_with_the_position() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sse(1, "mou.signed", subject="mou_1"))

    result = invoke(answering(handler), "events", "tail", "--json", "--max-events", "1")

    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    event = json.loads(line)
    assert event["position"] == 1
    assert event["type"] == "mou.signed"
    assert event["subject"] == "mou_1"


def test_the_feed_splits_lines_only_where_the_sse_spec_does() -> None:
    # U+2028 is a line break to str.splitlines but text to SSE; a name may hold one.
    event = {"type": "agency.registered", "data": {"name": "Badan\u2028Pusat"}}
    body = f"id: 2\r\nevent: agency.registered\rdata: {json.dumps(event, ensure_ascii=False)}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(body + "\r\n\r\n").encode())

    seen: list[FeedEvent] = []
    follow(answering(handler), seen.append, max_events=1, sleep=lambda _: None)

    assert [(e.position, e.cloudevent["data"]["name"]) for e in seen] == [("2", "Badan\u2028Pusat")]
