"""ApiClient against a real HTTP server on 127.0.0.1 whose answers each test scripts; RateBudget on Redis."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import fakeredis
import pytest
import redis
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector.providers.http import (
    ApiClient,
    ClientError,
    RateBudget,
    RateLimited,
    RetryPolicy,
    Unauthorized,
    UpstreamError,
    parse_retry_after,
)
from tests.services import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from werkzeug.serving import BaseWSGIServer

TIMEOUT = 0.2  # the client's timeout in these tests
HANG = object()  # an answer that comes after the client has given up
NOW = 1_790_000_000.0  # a fixed clock for HTTP-dates and budget windows


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Provider:
    """A scripted provider: answers pop from `answers` (then 200 {"ok": true}); requests land in `seen`."""

    url: str = ""
    answers: deque[Any] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def script(self, *answers: Any) -> None:
        self.answers.extend(answers)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(Seen(request.method, request.path, request.query_string.decode(),
                              dict(request.headers), request.get_data()))
        answer = self.answers.popleft() if self.answers else (200, {}, {"ok": True})
        if answer is HANG:
            self.release.wait(TIMEOUT * 3)
            answer = (200, {}, {"late": True})
        status, headers, body = answer
        if isinstance(body, str):
            response = Response(body, status=status, headers=headers, content_type="text/plain")
        else:
            response = Response(json.dumps(body), status=status, headers=headers, content_type="application/json")
        return response(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[BaseWSGIServer, Provider]]:
    provider = Provider()
    httpd = make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{httpd.server_port}/api"
    yield httpd, provider
    provider.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=2)


@pytest.fixture
def provider(server: tuple[BaseWSGIServer, Provider]) -> Iterator[Provider]:
    provider = server[1]
    provider.answers.clear()
    provider.seen.clear()
    provider.release.clear()
    yield provider
    provider.release.set()  # let a hung answer finish now


@dataclass
class Sleeps:
    """The injected sleep: records each wait and moves the fake clock on."""

    now: float = NOW
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(provider: Provider, sleeps: Sleeps) -> Iterator[Any]:
    clients: list[ApiClient] = []

    def make(**kw: Any) -> ApiClient:
        kw.setdefault("rng", lambda: 0.5)
        client = ApiClient(provider.url, timeout=TIMEOUT, sleep=sleeps, clock=sleeps.clock, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- retries: 5xx, timeouts, connection errors ---------------------------------------------------------------


def test_5xx_then_200_is_retried_with_full_jitter_backoff(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((500, {}, {}), (502, {}, "bad gateway"), (503, {}, {}))
    client = make_client(rng=lambda: 0.5)

    assert client.get_json("/jobs") == {"ok": True}

    assert sleeps.waits == [0.25, 0.5, 1.0]  # 0.5 * min(20, 0.5 * 2**n) for n = 0, 1, 2
    assert client.attempts == 4
    assert len(provider.seen) == 4


def test_backoff_is_capped_before_jitter() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=3.0)

    assert [policy.backoff(n, lambda: 1.0) for n in range(4)] == [1.0, 2.0, 3.0, 3.0]
    assert policy.backoff(2, lambda: 0.0) == 0.0
    assert policy.backoff(10_000, lambda: 0.5) == 1.5


def test_5xx_on_every_attempt_raises_upstream_error(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script(*[(500, {}, {"error": "boom"})] * 4)
    client = make_client()

    with pytest.raises(UpstreamError) as caught:
        client.get_json("/jobs")

    error = caught.value
    assert (error.status, error.code, error.retryable, error.body) == (500, "http_500", True, {"error": "boom"})
    assert client.attempts == 4 and len(sleeps.waits) == 3


def test_5xx_on_a_plain_post_is_not_retried(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((503, {}, {}))
    client = make_client()

    with pytest.raises(UpstreamError) as caught:
        client.post_json("/invoices", {"total": 10})

    assert caught.value.retryable is False  # the provider may have acted on it
    assert len(provider.seen) == 1 and sleeps.waits == []


def test_timeout_on_get_is_retried(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script(HANG)
    client = make_client()

    assert client.get_json("/jobs") == {"ok": True}

    assert len(provider.seen) == 2 and sleeps.waits == [0.25]


def test_timeout_on_a_plain_post_is_not_retried(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script(HANG)
    client = make_client()

    with pytest.raises(UpstreamError) as caught:
        client.post_json("/invoices", {"total": 10})

    assert (caught.value.code, caught.value.status, caught.value.retryable) == ("timeout", None, False)
    assert len(provider.seen) == 1 and sleeps.waits == []


def test_timeout_on_an_idempotent_post_is_retried_with_the_same_request(
    provider: Provider, sleeps: Sleeps, make_client: Any
) -> None:
    provider.script(HANG, (201, {}, {"Id": "42"}))
    client = make_client()

    answer = client.post_json("/invoice", {"Line": [1]}, idempotent=True, params={"requestid": "r-1"})

    assert answer == {"Id": "42"}
    sent = [(seen.method, seen.path, seen.query, seen.body) for seen in provider.seen]
    assert sent == [("POST", "/api/invoice", "requestid=r-1", b'{"Line": [1]}')] * 2
    assert sleeps.waits == [0.25]


def test_idempotent_false_overrides_the_method(provider: Provider, make_client: Any) -> None:
    provider.script((500, {}, {}))

    with pytest.raises(UpstreamError):
        make_client().request("PUT", "/jobs/1", json={}, idempotent=False)

    assert len(provider.seen) == 1


def test_connection_errors_are_retried_then_raised(sleeps: Sleeps) -> None:
    client = ApiClient(f"http://127.0.0.1:{free_port()}", sleep=sleeps, rng=lambda: 1.0, timeout=TIMEOUT)
    with client, pytest.raises(UpstreamError) as caught:
        client.get_json("/jobs")

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)
    assert client.attempts == 4 and sleeps.waits == [0.5, 1.0, 2.0]


# --- 429 ----------------------------------------------------------------------------------------------------


def test_429_waits_retry_after_seconds(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((429, {"Retry-After": "3"}, {}))

    assert make_client().post_json("/graphql", {"query": "{ jobs }"}) == {"ok": True}  # 429: never acted on

    assert sleeps.waits == [3.0] and len(provider.seen) == 2


def test_429_with_an_http_date(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    when = datetime.fromtimestamp(NOW + 30, UTC)
    provider.script((429, {"Retry-After": format_datetime(when, usegmt=True)}, {}))

    make_client().get_json("/jobs")

    assert sleeps.waits == [30.0]


def test_429_over_the_cap_raises_rate_limited(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((429, {"Retry-After": "3600"}, {"message": "slow down"}))

    with pytest.raises(RateLimited) as caught:
        make_client().get_json("/jobs")

    error = caught.value
    assert (error.status, error.code, error.retryable, error.retry_after) == (429, "rate_limited", True, 3600.0)
    assert error.body == {"message": "slow down"}
    assert sleeps.waits == [] and len(provider.seen) == 1


def test_429_until_attempts_are_used_up(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script(*[(429, {"Retry-After": "2"}, {})] * 2)

    with pytest.raises(RateLimited) as caught:
        make_client(policy=RetryPolicy(max_attempts=2)).get_json("/jobs")

    assert caught.value.retry_after == 2.0
    assert sleeps.waits == [2.0] and len(provider.seen) == 2


def test_429_without_retry_after_backs_off(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((429, {}, {}), (429, {}, {}))

    make_client(rng=lambda: 1.0).get_json("/jobs")

    assert sleeps.waits == [0.5, 1.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        (format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True), 90.0),
        ("soon", None),
        ("inf", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# --- 401 ----------------------------------------------------------------------------------------------------


class Tokens:
    def __init__(self) -> None:
        self.token = "old-token"
        self.refreshes = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self) -> None:
        self.refreshes += 1
        self.token = f"new-token-{self.refreshes}"


def test_401_refreshes_once_and_retries_with_the_new_token(provider: Provider, make_client: Any) -> None:
    provider.script((401, {}, {"error": "expired"}))
    tokens = Tokens()

    assert make_client(auth=tokens.headers, on_unauthorized=tokens.refresh).get_json("/jobs") == {"ok": True}

    assert tokens.refreshes == 1
    assert [seen.headers["Authorization"] for seen in provider.seen] == ["Bearer old-token", "Bearer new-token-1"]


def test_a_second_401_raises_unauthorized(provider: Provider, make_client: Any) -> None:
    provider.script((401, {}, {}), (401, {}, {"error": "revoked"}))
    tokens = Tokens()

    with pytest.raises(Unauthorized) as caught:
        make_client(auth=tokens.headers, on_unauthorized=tokens.refresh).post_json("/graphql", {})

    error = caught.value
    assert (error.status, error.code, error.retryable, error.body) == (401, "unauthorized", False, {"error": "revoked"})
    assert tokens.refreshes == 1 and len(provider.seen) == 2


def test_401_with_nothing_to_refresh_raises_at_once(provider: Provider, make_client: Any) -> None:
    provider.script((401, {}, {}))

    with pytest.raises(Unauthorized):
        make_client().get_json("/jobs")

    assert len(provider.seen) == 1


# --- other 4xx ----------------------------------------------------------------------------------------------


def test_4xx_raises_client_error_with_the_parsed_body(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    provider.script((422, {}, {"errors": [{"field": "email"}]}), (404, {}, "no such job"))
    client = make_client()

    with pytest.raises(ClientError) as caught:
        client.post_json("/clients", {"email": "x"}, idempotent=True)
    error = caught.value
    assert (error.status, error.code, error.retryable) == (422, "http_422", False)
    assert error.body == {"errors": [{"field": "email"}]}

    with pytest.raises(ClientError) as caught:
        client.get_json("/jobs/9")
    assert (caught.value.status, caught.value.body) == (404, "no such job")
    assert sleeps.waits == [] and client.attempts == 2


# --- requests, headers, logs --------------------------------------------------------------------------------


def test_paths_headers_and_bodies(provider: Provider, make_client: Any) -> None:
    client = make_client(auth=lambda: {"Authorization": "Bearer t"}, default_headers={"X-Api-Version": "2025-01-20"})

    client.get_json("jobs", params={"page": 2})
    client.request("POST", f"{provider.url}/oauth/token", data={"grant_type": "refresh_token"})
    client.request("GET", "/ping", headers={"X-Api-Version": "override"})

    plain, form, override = provider.seen
    assert (plain.path, plain.query, plain.headers["X-Api-Version"]) == ("/api/jobs", "page=2", "2025-01-20")
    assert plain.headers["Authorization"] == "Bearer t"
    assert (form.path, form.body) == ("/api/oauth/token", b"grant_type=refresh_token")
    assert override.headers["X-Api-Version"] == "override"


def test_empty_and_non_json_answers(provider: Provider, make_client: Any) -> None:
    provider.script((204, {}, ""), (200, {}, "<html>"))
    client = make_client()

    assert client.get_json("/empty") is None
    with pytest.raises(UpstreamError) as caught:
        client.get_json("/html")
    assert (caught.value.code, caught.value.body) == ("invalid_json", "<html>")


def test_logs_name_method_host_and_path_but_no_secrets(
    provider: Provider, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider.script((500, {}, {"ssn": "123-45-6789"}))
    client = make_client(auth=lambda: {"Authorization": "Bearer tok-SECRET"})

    with caplog.at_level(logging.INFO, logger="connector.providers.http"):
        client.get_json("/customers", params={"access_token": "q-SECRET"})

    records = [r for r in caplog.records if r.name == "connector.providers.http"]
    assert [r.levelname for r in records] == ["WARNING", "INFO"]
    text = "\n".join(r.getMessage() for r in records)
    assert "GET 127.0.0.1:" in text and "/api/customers" in text
    assert "SECRET" not in text and "123-45-6789" not in text and "?" not in text


# --- the rate budget ----------------------------------------------------------------------------------------


@pytest.fixture(params=["fakeredis", "redis-server"])
def redis_client(request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    if request.param == "fakeredis":
        client: redis.Redis = fakeredis.FakeRedis()
    else:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        client.flushdb()
    yield client
    client.close()


def test_rate_budget_fixed_window(redis_client: redis.Redis, sleeps: Sleeps) -> None:
    budget = RateBudget(redis_client, limit=3, window_seconds=300, clock=sleeps.clock)
    window = int(NOW // 300)
    window_end = (window + 1) * 300

    assert [budget.take("conn-1"), budget.take("conn-1", cost=2)] == [0.0, 0.0]
    assert budget.take("conn-1") == window_end - NOW
    assert budget.take("conn-2") == 0.0  # each connection has its own budget

    key = f"budget:conn-1:{window}"
    assert redis_client.get(key) == b"3"  # the refused take consumed nothing
    assert 0 < int(redis_client.ttl(key)) <= 300  # type: ignore[arg-type]

    sleeps(window_end - NOW)  # the next window
    assert budget.take("conn-1", cost=3) == 0.0
    assert budget.take("conn-1") > 0

    with pytest.raises(ValueError, match="cost"):
        budget.take("conn-1", cost=4)


def test_client_waits_for_a_budget_that_refills_soon(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    sleeps.now = 1198.0  # two seconds before a 300 s window ends
    budget = RateBudget(fakeredis.FakeRedis(), limit=1, window_seconds=300, clock=sleeps.clock)
    client = make_client(budget=budget, budget_key="jobber:acct-1")

    client.get_json("/jobs")
    client.get_json("/jobs")

    assert sleeps.waits == [2.0] and len(provider.seen) == 2


def test_client_raises_when_the_budget_refills_late(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    sleeps.now = 1000.0  # 200 s before the window ends
    budget = RateBudget(fakeredis.FakeRedis(), limit=1, window_seconds=300, clock=sleeps.clock)
    client = make_client(budget=budget, budget_key="jobber:acct-1")
    client.get_json("/jobs")

    with pytest.raises(RateLimited) as caught:
        client.get_json("/jobs")

    assert (caught.value.code, caught.value.retry_after, caught.value.status) == ("budget_exhausted", 200.0, None)
    assert sleeps.waits == [] and len(provider.seen) == 1


def test_every_attempt_takes_from_the_budget(provider: Provider, sleeps: Sleeps, make_client: Any) -> None:
    fake = fakeredis.FakeRedis()
    budget = RateBudget(fake, limit=10, window_seconds=300, clock=sleeps.clock)
    provider.script((503, {}, {}))

    make_client(budget=budget, budget_key="k", rng=lambda: 0.0).get_json("/jobs")

    assert fake.get(f"budget:k:{int(NOW // 300)}") == b"2"


def test_a_budget_needs_a_key() -> None:
    with pytest.raises(ValueError, match="budget_key"):
        ApiClient("http://x", budget=RateBudget(fakeredis.FakeRedis(), limit=1, window_seconds=1))


@pytest.mark.parametrize("kw", [{"max_attempts": 0}, {"backoff_base": -1.0}, {"max_retry_after": float("inf")}])
def test_retry_policy_checks_itself(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kw)
