"""The Lob emulator keeps Lob's documented contract (so the client tests mean something)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import requests

from connector.config import LobSettings
from connector.mail.lob import IDEMPOTENCY_HEADER, LobClient, lob_error
from connector.providers.http import ClientError, RateLimited, Unauthorized
from tests.emulators.lob import LobEmulator

if TYPE_CHECKING:
    from collections.abc import Iterator

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
TO = {"name": "Ada Park", "address_line1": "12 Oak St", "address_city": "Austin", "address_state": "TX",
      "address_zip": "78701"}
CARD = {"to": TO, "front": "<html>F</html>", "back": "<html>B</html>", "use_type": "marketing"}


@pytest.fixture
def lob() -> Iterator[LobEmulator]:
    clock = {"now": NOW}
    with LobEmulator(clock=lambda: clock["now"]) as emulator:
        emulator.clock_state = clock  # type: ignore[attr-defined]
        yield emulator  # type: ignore[misc]


def client(lob: LobEmulator, key: str | None = None) -> LobClient:
    return LobClient(LobSettings(api_key=key or lob.api_key, api_url=lob.url), sleep=lambda _s: None)


def post(lob: LobEmulator, body: Any, **kw: Any) -> requests.Response:
    return requests.post(f"{lob.url}/v1/postcards", auth=(lob.api_key, ""), timeout=5, **kw,
                         **({"json": body} if body is not None else {}))


def test_basic_auth_with_the_key_as_username(lob: LobEmulator) -> None:
    with pytest.raises(Unauthorized):
        client(lob, "test_wrong").create_postcard(CARD, "k1")
    assert client(lob).create_postcard(CARD, "k1")["id"].startswith("psc_")


@pytest.mark.parametrize(("change", "message"), [
    ({"use_type": None}, "use_type"),
    ({"to": {**TO, "name": None}}, "name or a company"),
    ({"to": {"name": "A", "address_line1": "1 A St"}}, "address_zip"),
    ({"front": None}, "front is required"),
    ({"size": "5x7"}, "size"),
    ({"mail_type": "usps_standard"}, "4x6"),
    ({"send_date": (NOW + timedelta(days=181)).isoformat()}, "180 days"),
    ({"send_date": (NOW - timedelta(days=1)).isoformat()}, "future"),
    ({"metadata": {"k": {"nested": 1}}}, "metadata"),
    ({"colour": "red"}, "colour is not allowed"),
])
def test_request_shape_is_validated(lob: LobEmulator, change: dict[str, Any], message: str) -> None:
    body = {k: v for k, v in {**CARD, **change}.items() if v is not None}
    with pytest.raises(ClientError) as caught:
        client(lob).create_postcard(body, "k")
    assert caught.value.status == 422 and message in lob_error(caught.value.body)[1]


def test_undeliverable_address_is_a_422_with_lobs_code(lob: LobEmulator) -> None:
    with pytest.raises(ClientError) as caught:
        client(lob).create_postcard({**CARD, "to": {**TO, "address_line1": "1 Undeliverable Way"}}, "k")
    assert caught.value.status == 422
    assert lob_error(caught.value.body)[0] == "failed_deliverability_strictness"


def test_idempotency_key_replays_for_24_hours(lob: LobEmulator) -> None:
    first = client(lob).create_postcard(CARD, "same")
    assert client(lob).create_postcard(CARD, "same")["id"] == first["id"] and len(lob.created) == 1
    assert lob.requests_to("/v1/postcards")[0].headers[IDEMPOTENCY_HEADER] == "same"
    lob.clock_state["now"] = NOW + timedelta(hours=25)  # type: ignore[attr-defined]
    assert client(lob).create_postcard(CARD, "same")["id"] != first["id"] and len(lob.created) == 2


def test_form_bodies_with_bracketed_keys_are_accepted(lob: LobEmulator) -> None:
    form = {"front": "<html>F</html>", "back": "<html>B</html>", "use_type": "operational",
            **{f"to[{k}]": v for k, v in TO.items()}}
    response = post(lob, None, data=form)
    assert response.status_code == 200 and response.json()["to"]["address_zip"] == "78701"


def test_throttling_and_outages_on_demand(lob: LobEmulator) -> None:
    lob.fail_next("/v1/postcards", 500, times=2)
    assert client(lob).create_postcard(CARD, "k5")["id"]  # retried: the key makes it safe
    lob.fail_next("/v1/postcards", 429, times=5, headers={"Retry-After": "0"})
    with pytest.raises(RateLimited):
        client(lob).create_postcard(CARD, "k6")
    assert len(lob.created) == 1
