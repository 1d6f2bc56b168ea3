"""Twilio's Programmable Messaging REST API (2010-04-01), on 127.0.0.1.

What it speaks (Twilio's Messages resource and error docs):
    - ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP Basic ``AccountSid:AuthToken``,
      form-encoded ``To``, ``Body`` and ``From`` or ``MessagingServiceSid``. 201 with the Message
      resource as JSON (``sid`` SM + 32 hex, ``status`` queued, or accepted through a Messaging Service,
      ``date_created`` RFC 2822, ``direction`` outbound-api, ``uri``...).
    - ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json``: the message.
    - Errors as Twilio sends them: ``{"code", "message", "more_info", "status"}`` with the HTTP status:
      401 code 20003 (bad credentials), 400 code 21211 (``To`` not a valid phone number), 21604 (no
      ``To``), 21602 (no ``Body``), 21603 (no ``From``), 21610 (the recipient replied STOP: see
      `opted_out`), 404 code 20404; 429 code 20429 on demand with `throttle_next`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from flask import Response, jsonify, request

from tests.emulators.server import Emulator

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
DOCS = "https://www.twilio.com/docs/errors/"


@dataclass(frozen=True)
class Sent:
    """A message the emulator took."""

    sid: str
    account_sid: str
    to: str
    sender: str | None
    messaging_service_sid: str | None
    body: str


class TwilioEmulator(Emulator):
    """One Twilio account (or more, in `accounts`: sid -> auth token)."""

    def __init__(self, account_sid: str = "AC" + "0" * 31 + "1", auth_token: str = "test-auth-token") -> None:  # noqa: S107 - a test credential
        super().__init__("twilio")
        self.accounts = {account_sid: auth_token}
        self.messages: list[Sent] = []
        self.opted_out: set[str] = set()
        self.app.add_url_rule("/2010-04-01/Accounts/<account_sid>/Messages.json", "create", self._create,
                              methods=["POST"])
        self.app.add_url_rule("/2010-04-01/Accounts/<account_sid>/Messages/<sid>.json", "fetch", self._fetch)

    @property
    def account_sid(self) -> str:
        return next(iter(self.accounts))

    @property
    def auth_token(self) -> str:
        return self.accounts[self.account_sid]

    def throttle_next(self, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` creates get Twilio's 429 (20429 Too Many Requests)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.fail_next("/2010-04-01/Accounts/", 429, times=times, headers=headers, method="POST",
                       body=_error(20429, "Too Many Requests", 429))

    # -- routes -------------------------------------------------------------------------------
    def _authorized(self, account_sid: str) -> bool:
        auth = request.authorization
        return (auth is not None and auth.type == "basic" and auth.username == account_sid
                and self.accounts.get(account_sid) == auth.password)

    def _create(self, account_sid: str) -> Response:
        if not self._authorized(account_sid):
            return _answer(_error(20003, "Authenticate", 401), 401)
        form = request.form
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From") or None, form.get("MessagingServiceSid") or None
        if not to:
            return _answer(_error(21604, "A 'To' phone number is required.", 400), 400)
        if not E164.match(to):
            return _answer(_error(21211, f"The 'To' number {to} is not a valid phone number.", 400), 400)
        if not sender and not service:
            return _answer(_error(21603, "The 'From' phone number is required.", 400), 400)
        if not body:
            return _answer(_error(21602, "Message body is required.", 400), 400)
        if to in self.opted_out:
            return _answer(_error(21610, "Attempt to send to unsubscribed recipient", 400), 400)
        sent = Sent("SM" + uuid.uuid4().hex, account_sid, to, sender, service, body)
        with self.lock:
            self.messages.append(sent)
        return _answer(_resource(sent, "accepted" if service else "queued"), 201)

    def _fetch(self, account_sid: str, sid: str) -> Response:
        if not self._authorized(account_sid):
            return _answer(_error(20003, "Authenticate", 401), 401)
        found = next((m for m in self.messages if m.sid == sid and m.account_sid == account_sid), None)
        if found is None:
            return _answer(_error(20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Messages/"
                                         f"{sid}.json was not found", 404), 404)
        return _answer(_resource(found, "sent"), 200)


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"{DOCS}{code}", "status": status}


def _resource(sent: Sent, status: str) -> dict[str, Any]:
    now = format_datetime(datetime.now(UTC), usegmt=True).replace("GMT", "+0000")
    uri = f"/2010-04-01/Accounts/{sent.account_sid}/Messages/{sent.sid}.json"
    return {
        "account_sid": sent.account_sid, "api_version": "2010-04-01", "body": sent.body, "date_created": now,
        "date_sent": None, "date_updated": now, "direction": "outbound-api", "error_code": None,
        "error_message": None, "from": sent.sender, "messaging_service_sid": sent.messaging_service_sid,
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sent.sid,
        "status": status, "subresource_uris": {"media": uri.replace(".json", "/Media.json")}, "to": sent.to,
        "uri": uri,
    }


def _answer(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
