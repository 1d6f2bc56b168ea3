"""POSTing JSON to a receiver outside (hook targets, callback URLs) and classifying the answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import requests

from connector.hooks.targets import BadTarget, check_target

if TYPE_CHECKING:
    from datetime import datetime

    from connector.config import Settings

USER_AGENT = "Backbone-Webhooks/1"
RETRY_STATUSES = {408, 409, 425, 429}
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class Outcome:
    kind: str  # succeeded | retry | failed | gone
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None


def backoff(settings: Settings, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter; a Retry-After from the receiver is a floor."""
    ceiling = min(settings.hook_backoff_cap_seconds, settings.hook_backoff_base_seconds * 2 ** (attempt - 1))
    delay = (rng or random.SystemRandom()).uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def post_json(settings: Settings, url: str, body: bytes, headers: dict[str, str], now: datetime) -> Outcome:
    """POSTs once. 2xx succeeded; 410 gone; timeouts, 408/409/425/429 and 5xx retry; else failed."""
    try:
        check_target(url, allow_private=settings.hooks_allow_private_targets)
    except BadTarget as exc:
        return Outcome("failed", error=str(exc))
    try:
        response = requests.post(url, data=body, timeout=settings.hook_timeout_seconds, allow_redirects=False,
                                 headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
    except requests.Timeout:
        return Outcome("retry", error="Timed out waiting for the receiver.")
    except requests.RequestException as exc:
        return Outcome("retry", error=f"Could not connect: {type(exc).__name__}.")
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("succeeded", code)
    if code == 410:
        return Outcome("gone", code, "The receiver answered 410 Gone.")
    excerpt = response.text[:200]
    if code >= 500 or code in RETRY_STATUSES:
        return Outcome("retry", code, f"HTTP {code}: {excerpt}",
                       parse_retry_after(response.headers.get("Retry-After"), now))
    return Outcome("failed", code, f"HTTP {code}: {excerpt}")
