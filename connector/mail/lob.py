"""Lob's Postcards API (`POST /v1/postcards`), as Lob documents it.

* Basic auth, the API key as the username and an empty password; `test_` keys never mail.
* Every create carries an idempotency key. Lob's guide names the header `Idempotency-Key` (keys
  expire after 24 hours); the OpenAPI snapshot WORKFLOWS.md cites names it `Idempotency-Header`
  (and a query parameter `idempotency_query`). We send the guide's header, named once in
  `IDEMPOTENCY_HEADER`: verify it against Lob's sandbox before going live and change it there.
* 422 means Lob will not create the piece (an address below the account's US strictness setting,
  among others): the caller records it on the recipient, the batch goes on.
* With the key, a create is safe to repeat: 5xx and timeouts are retried (with backoff), 429 after
  Retry-After.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from connector.providers.http import ApiClient, RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from connector.config import LobSettings

#: The header carrying the idempotency key (see the module docstring for the naming discrepancy).
IDEMPOTENCY_HEADER = "Idempotency-Key"
POSTCARDS_PATH = "/v1/postcards"


class LobClient:
    """A client for one Lob account."""

    def __init__(self, settings: LobSettings, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        token = base64.b64encode(f"{settings.api_key}:".encode()).decode()
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.api = ApiClient(
            settings.api_url, auth=lambda: {"Authorization": f"Basic {token}"}, timeout=settings.timeout_seconds,
            default_headers={"Accept": "application/json"}, session=session,
            policy=RetryPolicy(max_attempts=3, backoff_base=0.25, backoff_cap=5.0, max_retry_after=30.0), **extra,
        )

    def close(self) -> None:
        self.api.close()

    def create_postcard(self, payload: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Creates (or, for a key Lob has seen within 24 h, returns) the postcard.

        Raises:
            ClientError: 4xx, e.g. 422 for an undeliverable address (its body carries Lob's error).
            RateLimited, UpstreamError, Unauthorized: as connector.providers.http says.
        """
        response = self.api.request("POST", POSTCARDS_PATH, json=payload,
                                    headers={IDEMPOTENCY_HEADER: idempotency_key}, idempotent=True)
        body = response.json()
        return body if isinstance(body, dict) else {}


def lob_error(body: Any) -> tuple[str, str]:
    """(code, message) of a Lob error body `{"error": {"message", "status_code", "code"}}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "unknown", str(body)[:500] if body else ""
    return str(error.get("code") or "unknown"), str(error.get("message") or "")[:500]
