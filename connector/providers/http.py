"""The one HTTP client every provider adapter uses: retries, backoff, 429, token refresh, rate budget.

Rules, in the order a response meets them:

* **2xx** is returned.
* **401** calls ``on_unauthorized`` once (the token layer refreshes the access token) and retries
  with fresh ``auth()`` headers; a second 401, or a 401 with no callback, raises `Unauthorized`.
* **429** is retried for any method (the provider did not act on it) after ``Retry-After``
  (seconds or an HTTP-date; jittered backoff when absent). A wait over
  ``RetryPolicy.max_retry_after``, or no attempts left, raises `RateLimited` carrying ``retry_after``.
* **5xx, timeouts and connection errors** are retried with full-jitter exponential backoff, but only
  when the request is safe to repeat: GET/HEAD/PUT/DELETE/OPTIONS, or any request the caller marks
  ``idempotent=True`` (a QuickBooks create carrying ``?requestid=``, a GraphQL query). Otherwise, or
  once the attempts are used up, `UpstreamError` is raised; its ``retryable`` is False when the
  request was not safe to repeat (the provider may have acted on it).
* **Other statuses** raise `ClientError` with the parsed body.

Before every attempt a `RateBudget` (when given) is asked for room; a short wait is slept, a long
one raises `RateLimited`. Logs carry the method and host+path only: never query strings, headers
or bodies.

Error codes: ``timeout``, ``connection_error``, ``http_<status>`` (5xx and other 4xx),
``rate_limited`` (429), ``budget_exhausted`` (our own budget), ``unauthorized``, ``invalid_json``.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from redis import Redis

logger = logging.getLogger(__name__)

#: Methods that may be repeated without asking (RFC 9110 idempotent methods we use).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: How much of a non-JSON error body is kept on the exception.
MAX_TEXT_BODY = 4096


class ApiError(Exception):
    """A provider call that did not end in a 2xx answer.

    Attributes:
        status: The HTTP status, or None when no answer came (timeout, connection error).
        code: A short machine-readable reason (see the module docstring).
        message: A human-readable summary: method, host+path and what happened (no secrets).
        retryable: Whether trying the same call again later may succeed and is safe.
        retry_after: Seconds to wait before trying again, when known.
        body: The parsed JSON body, or its text (truncated), or None.
    """

    default_code = "api_error"
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code if code is not None else self.default_code
        self.retryable = retryable if retryable is not None else self.default_retryable
        self.retry_after = retry_after
        self.body = body


class RateLimited(ApiError):
    """The provider answered 429, or our own rate budget has no room soon enough."""

    default_code = "rate_limited"
    default_retryable = True


class Unauthorized(ApiError):
    """The provider answered 401 even after a token refresh."""

    default_code = "unauthorized"
    default_retryable = False

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("status", 401)
        super().__init__(message, **kw)


class UpstreamError(ApiError):
    """A 5xx, timeout or connection error that retries did not get past."""

    default_code = "upstream_error"
    default_retryable = True


class ClientError(ApiError):
    """A 4xx other than 401 and 429: the request itself is wrong; retrying will not help."""

    default_code = "client_error"
    default_retryable = False


@dataclass(frozen=True)
class RetryPolicy:
    """How hard `ApiClient` tries.

    Attributes:
        max_attempts: Attempts per request for transient failures (5xx, timeouts, connection
            errors, 429). The single retry after a token refresh comes on top.
        backoff_base: Seconds; the n-th retry (n from 0) waits ``rng() * min(cap, base * 2**n)``.
        backoff_cap: The most one backoff can be before jitter.
        max_retry_after: The longest ``Retry-After`` that is slept; longer raises `RateLimited`.
        max_budget_wait: The longest total wait for the rate budget per request; longer raises.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    max_retry_after: float = 120.0
    max_budget_wait: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for name in ("backoff_base", "backoff_cap", "max_retry_after", "max_budget_wait"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")

    def backoff(self, retry: int, rng: Callable[[], float]) -> float:
        """The full-jitter delay before retry number ``retry`` (0 for the first retry)."""
        return rng() * self.ceiling(retry)

    def ceiling(self, retry: int) -> float:
        """The un-jittered delay before retry number ``retry``: ``min(cap, base * 2**retry)``."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** min(retry, 64))


class RateBudget:
    """A per-connection request budget in Redis: at most ``limit`` per fixed window.

    Keys are ``f"{prefix}:{key}:{window_index}"`` with ``window_index = int(now // window_seconds)``;
    a Lua script checks and adds atomically, so a refused `take` consumes nothing.
    """

    _SCRIPT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then
  return 0
end
if redis.call('INCRBY', KEYS[1], cost) == cost then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 1
"""

    def __init__(
        self,
        redis: Redis,
        *,
        limit: int,
        window_seconds: int,
        prefix: str = "budget",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window_seconds < 1:
            raise ValueError("limit and window_seconds must be at least 1")
        self.redis = redis
        self.limit = limit
        self.window_seconds = window_seconds
        self.prefix = prefix
        self.clock = clock
        self._script = redis.register_script(self._SCRIPT)

    def key_for(self, key: str, now: float | None = None) -> str:
        """The Redis key counting ``key``'s requests in the window holding ``now``."""
        index = int((self.clock() if now is None else now) // self.window_seconds)
        return f"{self.prefix}:{key}:{index}"

    def take(self, key: str, cost: int = 1) -> float:
        """Takes ``cost`` from ``key``'s budget if it fits.

        Returns:
            0.0 when taken (the request may go now); otherwise the seconds until the current
            window ends, and nothing is taken.
        """
        if not 1 <= cost <= self.limit:
            raise ValueError(f"cost must be between 1 and the limit ({self.limit}), not {cost}")
        now = self.clock()
        taken = self._script(keys=[self.key_for(key, now)], args=[cost, self.limit, self.window_seconds])
        if int(taken):
            return 0.0
        window_end = (int(now // self.window_seconds) + 1) * self.window_seconds
        return max(window_end - now, 0.001)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP-date), or None.

    Args:
        value: The header value, if any.
        now: The current time as a Unix timestamp (for HTTP-dates).
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.fromtimestamp(now, UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _where(url: str) -> str:
    """Host(:port) and path of ``url``: no scheme, credentials, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{host}{parts.path or '/'}"


def _body(response: requests.Response) -> Any:
    """The parsed JSON body of ``response``, or its (truncated) text, or None when empty."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:MAX_TEXT_BODY]


class ApiClient:
    """An HTTP client for one provider connection.

    Args:
        base_url: Prefix for relative paths (``https://api.getjobber.com/api``).
        auth: Returns the auth headers; called before every attempt, so a refreshed token is used.
        on_unauthorized: Called on the first 401 to refresh credentials; the call is then retried once.
        budget: The rate budget to take from before every attempt.
        budget_key: The budget key of this connection (required with ``budget``).
        default_headers: Sent with every request (per-request headers win, then auth headers).
        timeout: Seconds for connecting and for each read.
        policy: Retry limits and backoff.
        session: The requests session to use (one is made, and closed by `close`, otherwise).
        sleep: Waits a number of seconds (injected by tests).
        rng: Returns a float in [0, 1) for jitter (injected by tests).
        clock: The current Unix time, for HTTP-date ``Retry-After`` values.

    Attributes:
        attempts: Total HTTP attempts this client has made.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Callable[[], dict[str, str]] = lambda: {},
        on_unauthorized: Callable[[], None] | None = None,
        budget: RateBudget | None = None,
        budget_key: str = "",
        default_headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        policy: RetryPolicy = RetryPolicy(),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if budget is not None and not budget_key:
            raise ValueError("budget_key is required with a budget (one budget per connection)")
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.on_unauthorized = on_unauthorized
        self.budget = budget
        self.budget_key = budget_key
        self.default_headers = dict(default_headers or {})
        self.timeout = timeout
        self.policy = policy
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self.sleep = sleep
        self.rng = rng
        self.clock = clock
        self.attempts = 0

    def close(self) -> None:
        """Closes the session if this client made it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """``path`` if absolute, else joined to the base URL."""
        if path.startswith(("https://", "http://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Sends a request, retrying as the module docstring says.

        Args:
            method: The HTTP method.
            path: Absolute URL or a path relative to the base URL.
            params: Query parameters.
            json: A JSON body.
            data: A form body.
            headers: Extra headers for this request.
            idempotent: Whether the request is safe to repeat; None decides by method.

        Returns:
            The 2xx response.

        Raises:
            RateLimited: 429 beyond the policy, or the rate budget has no room soon enough.
            Unauthorized: 401 after a refresh (or with nothing to refresh).
            UpstreamError: 5xx, timeout or connection error not got past.
            ClientError: Any other non-2xx answer.
        """
        method = method.upper()
        url = self.url(path)
        where = _where(url)
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        policy = self.policy
        failures = 0  # transient failures so far; each may earn a retry
        refreshed = False
        while True:
            self._await_budget(method, where)
            send_headers = {**self.default_headers, **self.auth(), **(headers or {})}
            self.attempts += 1
            attempt = failures + 1 + int(refreshed)
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, params=params, json=json, data=data, headers=send_headers, timeout=self.timeout
                )
            except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                code = "timeout" if isinstance(exc, requests.Timeout) else "connection_error"
                failures += 1
                if safe and failures < policy.max_attempts:
                    delay = policy.backoff(failures - 1, self.rng)
                    logger.warning("%s %s: %s (attempt %d); retrying in %.2fs", method, where, code, attempt, delay)
                    self.sleep(delay)
                    continue
                why = "attempts used up" if safe else "not idempotent, not retried"
                logger.warning("%s %s: %s (attempt %d); %s", method, where, code, attempt, why)
                raise UpstreamError(f"{method} {where}: {code} ({why})", code=code, retryable=safe) from exc

            status = response.status_code
            elapsed_ms = (time.monotonic() - started) * 1000
            if 200 <= status < 300:
                logger.info("%s %s -> %d in %.0f ms (attempt %d)", method, where, status, elapsed_ms, attempt)
                return response

            body = _body(response)
            response.close()
            if status == 401:
                if self.on_unauthorized is not None and not refreshed:
                    logger.warning("%s %s -> 401 (attempt %d); refreshing credentials", method, where, attempt)
                    refreshed = True
                    self.on_unauthorized()
                    continue
                logger.warning("%s %s -> 401 (attempt %d); giving up", method, where, attempt)
                raise Unauthorized(f"{method} {where} -> 401", body=body)

            if status == 429 or status >= 500:
                failures += 1
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock())
                error = self._transient(
                    method, where, status, body, retry_after, safe=safe or status == 429, failures=failures,
                    attempt=attempt,
                )
                if error is not None:
                    raise error
                continue

            logger.warning("%s %s -> %d (attempt %d)", method, where, status, attempt)
            raise ClientError(f"{method} {where} -> {status}", status=status, code=f"http_{status}", body=body)

    def _transient(
        self, method: str, where: str, status: int, body: Any, retry_after: float | None, *, safe: bool,
        failures: int, attempt: int,
    ) -> ApiError | None:
        """Sleeps before retrying a 429 or 5xx and returns None, or returns the error to raise."""
        policy = self.policy
        limited = status == 429
        if retry_after is not None:
            delay = retry_after
        else:
            delay = policy.backoff(failures - 1, self.rng)
            retry_after = policy.ceiling(failures - 1) if limited else None
        if not safe:
            why = "not idempotent, not retried"
        elif failures >= policy.max_attempts:
            why = "attempts used up"
        elif delay > policy.max_retry_after:
            why = f"Retry-After {delay:.0f}s is over {policy.max_retry_after:.0f}s"
        else:
            logger.warning("%s %s -> %d (attempt %d); retrying in %.2fs", method, where, status, attempt, delay)
            self.sleep(delay)
            return None
        logger.warning("%s %s -> %d (attempt %d); %s", method, where, status, attempt, why)
        message = f"{method} {where} -> {status} ({why})"
        if limited:
            return RateLimited(message, status=status, retry_after=retry_after, body=body)
        return UpstreamError(message, status=status, code=f"http_{status}", retryable=safe, retry_after=retry_after,
                             body=body)

    def _await_budget(self, method: str, where: str) -> None:
        """Waits for room in the rate budget, or raises `RateLimited` when that takes too long."""
        if self.budget is None:
            return
        waited = 0.0
        while (wait := self.budget.take(self.budget_key)) > 0:
            if waited + wait > self.policy.max_budget_wait:
                logger.warning("%s %s: rate budget exhausted for %.1fs; not sent", method, where, wait)
                raise RateLimited(f"{method} {where}: rate budget exhausted", code="budget_exhausted",
                                  retry_after=wait)
            logger.info("%s %s: rate budget full; waiting %.2fs", method, where, wait)
            self.sleep(wait)
            waited += wait

    def get_json(self, path: str, **kw: Any) -> Any:
        """GETs ``path`` and returns its parsed JSON body (None when empty)."""
        return self._json(self.request("GET", path, **kw))

    def post_json(self, path: str, json: Any, *, idempotent: bool = False, **kw: Any) -> Any:
        """POSTs ``json`` to ``path`` and returns the parsed JSON answer (None when empty)."""
        return self._json(self.request("POST", path, json=json, idempotent=idempotent, **kw))

    @staticmethod
    def _json(response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            where = _where(response.url)
            method = response.request.method if response.request is not None else "?"
            logger.warning("%s %s -> %d: body is not JSON", method, where, response.status_code)
            raise UpstreamError(f"{method} {where} -> {response.status_code}: body is not JSON",
                                status=response.status_code, code="invalid_json", retryable=False,
                                body=response.text[:MAX_TEXT_BODY]) from exc
