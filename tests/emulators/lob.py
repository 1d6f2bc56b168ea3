"""Lob's Postcards API as Lob documents it, on 127.0.0.1.

What it speaks (sources: Lob's API reference and guides, summarised in WORKFLOWS.md):
    - ``POST /v1/postcards`` with HTTP Basic auth, the API key as the username and an empty
      password (401 otherwise). JSON bodies, and form bodies with bracketed keys (``to[name]``).
    - Request shape: ``to`` (inline US address with ``name``/``company``, ``address_line1`` and
      ``address_zip`` or ``address_city`` + ``address_state``; or an ``adr_`` id) and ``front``/``back``
      required; ``from`` likewise when given; ``size`` 4x6 | 6x9 | 6x11; ``mail_type``
      usps_first_class | usps_standard (not for 4x6); ``use_type`` marketing | operational (required:
      this account declares none); ``send_date`` an ISO date or datetime, not past, at most 180 days
      ahead; ``metadata`` at most 20 string values (keys ≤ 40, values ≤ 500 characters);
      ``merge_variables`` an object; ``description`` ≤ 255. Unknown fields and bad values: 422
      ``{"error": {"message", "status_code", "code"}}``.
    - Address strictness: an ``address_line1`` containing "undeliverable" is below the account's
      setting: 422 with code ``failed_deliverability_strictness``.
    - ``Idempotency-Key`` (≤ 256 characters): the first 200 answer of a key is replayed for 24 hours,
      nothing created twice; after that the key is forgotten.
    - ``GET /v1/postcards/<id>``; 429 and 5xx on demand with ``fail_next``.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask import request

from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Response

IDEMPOTENCY_TTL = timedelta(hours=24)
FIELDS = {"to", "from", "front", "back", "size", "mail_type", "use_type", "send_date", "metadata",
          "merge_variables", "description", "qr_code", "billing_group_id", "fsc"}
ADDRESS_FIELDS = {"name", "company", "address_line1", "address_line2", "address_city", "address_state",
                  "address_zip", "address_country", "phone", "email", "description", "metadata"}


class Invalid(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _form_to_dict(form: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in form.items():
        if "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            out.setdefault(outer, {})[inner] = value
        else:
            out[key] = value
    return out


class LobEmulator(Emulator):
    """One Lob account."""

    def __init__(self, *, api_key: str = "test_backbone0123456789", account_use_type: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__("lob")
        self.api_key = api_key
        self.account_use_type = account_use_type
        self.clock = clock or (lambda: datetime.now(UTC))
        self.postcards: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []  # every postcard created, in order (replays excluded)
        self.keys: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self.app.post("/v1/postcards")(self._create)
        self.app.get("/v1/postcards/<postcard_id>")(self._get)

    # -- helpers -----------------------------------------------------------------------------
    def _error(self, status: int, message: str, code: str) -> tuple[Response, int]:
        return self.app.json.response({"error": {"message": message, "status_code": status, "code": code}}), status

    def _authorized(self) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.api_key

    def _address(self, name: str, value: Any) -> dict[str, Any] | str:
        if isinstance(value, str):
            if not value.startswith("adr_"):
                raise Invalid(f"{name} must be an address object or an adr_ id")
            return value
        if not isinstance(value, dict):
            raise Invalid(f"{name} must be an address object or an adr_ id")
        unknown = set(value) - ADDRESS_FIELDS
        if unknown:
            raise Invalid(f"{name}.{sorted(unknown)[0]} is not allowed")
        if not (value.get("name") or value.get("company")):
            raise Invalid(f"{name} must have a name or a company")
        if not value.get("address_line1"):
            raise Invalid(f"{name}.address_line1 is required")
        country = value.get("address_country", "US")
        if country == "US" and not (value.get("address_zip") or (value.get("address_city")
                                                                 and value.get("address_state"))):
            raise Invalid(f"{name} needs address_zip, or address_city and address_state")
        if name == "to" and "undeliverable" in str(value["address_line1"]).lower():
            raise Invalid("address is undeliverable", "failed_deliverability_strictness")
        return dict(value)

    def _send_date(self, value: Any) -> str:
        now = self.clock()
        try:
            if isinstance(value, str) and len(value) == 10:
                when = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
            else:
                when = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise Invalid("send_date must be an ISO 8601 date or datetime") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when < now - timedelta(minutes=5):
            raise Invalid("send_date must be in the future")
        if when > now + timedelta(days=180):
            raise Invalid("send_date must be less than 180 days in the future")
        return when.astimezone(UTC).isoformat()

    def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = set(body) - FIELDS
        if unknown:
            raise Invalid(f"{sorted(unknown)[0]} is not allowed")
        if "to" not in body:
            raise Invalid("to is required")
        to = self._address("to", body["to"])
        sender = self._address("from", body["from"]) if body.get("from") is not None else None
        for side in ("front", "back"):
            if not isinstance(body.get(side), str) or not body[side]:
                raise Invalid(f"{side} is required")
            if body[side].lstrip().startswith("<") and len(body[side]) > 10000:
                raise Invalid(f"{side} HTML must be under 10,000 characters")
        size = body.get("size", "4x6")
        if size not in ("4x6", "6x9", "6x11"):
            raise Invalid("size must be one of [4x6, 6x9, 6x11]")
        mail_type = body.get("mail_type", "usps_first_class")
        if mail_type not in ("usps_first_class", "usps_standard"):
            raise Invalid("mail_type must be one of [usps_first_class, usps_standard]")
        if mail_type == "usps_standard" and size == "4x6":
            raise Invalid("usps_standard is not available for 4x6 postcards")
        use_type = body.get("use_type", self.account_use_type)
        if use_type not in ("marketing", "operational"):
            raise Invalid("use_type must be one of [marketing, operational]")
        metadata = body.get("metadata", {})
        if not isinstance(metadata, dict) or len(metadata) > 20:
            raise Invalid("metadata must be an object of at most 20 keys")
        for key, value in metadata.items():
            if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
                raise Invalid("metadata keys must be ≤ 40 characters and values strings ≤ 500 characters")
        merge = body.get("merge_variables", {})
        if merge is not None and not isinstance(merge, dict):
            raise Invalid("merge_variables must be an object")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 255):
            raise Invalid("description must be a string of at most 255 characters")
        send_date = self._send_date(body["send_date"]) if body.get("send_date") else None
        now = self.clock()
        return {
            "id": f"psc_{uuid.uuid4().hex[:16]}", "object": "postcard", "to": to, "from": sender,
            "description": description, "metadata": metadata, "merge_variables": merge, "size": size,
            "mail_type": mail_type, "use_type": use_type, "carrier": "USPS", "tracking_events": [],
            "url": "https://lob-assets.example/psc.pdf", "front_template_id": None, "back_template_id": None,
            "send_date": send_date or now.isoformat(), "expected_delivery_date": (now + timedelta(days=5)).date()
            .isoformat(), "date_created": now.isoformat(), "date_modified": now.isoformat(), "deleted": False,
        }

    # -- routes ------------------------------------------------------------------------------
    def _create(self) -> tuple[Response, int]:
        if not self._authorized():
            return self._error(401, "Your API key is not valid. Please sign up on lob.com to get a valid api key.",
                               "unauthorized")
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 256:
            return self._error(422, "Idempotency-Key must be 1 to 256 characters", "invalid")
        now = self.clock()
        with self.lock:
            if key is not None and key in self.keys:
                stored_at, answer = self.keys[key]
                if now - stored_at < IDEMPOTENCY_TTL:
                    return self.app.json.response(answer), 200
                del self.keys[key]
        body = request.get_json(silent=True) if request.is_json else _form_to_dict(request.form.to_dict())
        if not isinstance(body, dict):
            return self._error(400, "The body must be JSON or a form", "bad_request")
        try:
            postcard = self.validate(body)
        except Invalid as exc:
            return self._error(422, exc.message, exc.code)
        with self.lock:
            self.postcards[postcard["id"]] = postcard
            self.created.append(postcard)
            if key is not None:
                self.keys[key] = (now, postcard)
        return self.app.json.response(postcard), 200

    def _get(self, postcard_id: str) -> tuple[Response, int]:
        if not self._authorized():
            return self._error(401, "Your API key is not valid.", "unauthorized")
        postcard = self.postcards.get(postcard_id)
        if postcard is None:
            return self._error(404, "postcard not found", "not_found")
        return self.app.json.response(postcard), 200
