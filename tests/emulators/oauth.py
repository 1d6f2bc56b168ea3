"""An OAuth 2 authorization server as the providers run theirs: codes, tokens, refresh rotation.

Modes a provider picks:
    - `client_auth`: "client_secret_post" (Jobber, ServiceTitan) or "client_secret_basic" (Intuit).
    - `rotate_refresh`: every refresh returns a new refresh token.
    - `old_refresh_grace`: how many seconds the replaced refresh token still works (Jobber: 0,
      it is invalidated at once).
    - `account_param`: the callback also carries the account (Intuit's `realmId`).
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import jsonify, redirect, request

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask, Response


@dataclass
class IssuedToken:
    account_id: str
    access_token: str
    access_expires_at: float
    refresh_token: str | None
    refresh_expires_at: float | None
    replaced_at: float | None = None  # when a rotation replaced this refresh token
    revoked: bool = False


class OAuthServer:
    def __init__(self, *, client_id: str, client_secret: str, client_auth: str = "client_secret_post",
                 access_ttl: int = 3600, refresh_ttl: int | None = None, rotate_refresh: bool = True,
                 old_refresh_grace: float = 0.0, account_param: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.client_auth = client_auth
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.rotate_refresh = rotate_refresh
        self.old_refresh_grace = old_refresh_grace
        self.account_param = account_param
        self.clock = clock
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (account, redirect_uri)
        self.tokens: list[IssuedToken] = []
        #: The account the next consent screen approves (a test sets it, like a user picking a company).
        self.next_account = "acct-1"
        #: Client-credentials clients per account (ServiceTitan: the company makes them for the app).
        self.credential_clients: dict[str, tuple[str, str]] = {}
        self.token_calls = 0

    # -- what tests look at ----------------------------------------------------------------
    def valid_access(self, token: str) -> str | None:
        now = self.clock()
        for t in self.tokens:
            if t.access_token == token and not t.revoked and t.access_expires_at > now:
                return t.account_id
        return None

    def valid_refresh_tokens(self, account_id: str) -> list[str]:
        now = self.clock()
        return [t.refresh_token for t in self.tokens if t.account_id == account_id and t.refresh_token
                and self._refresh_usable(t, now)]

    def expire_access_tokens(self, account_id: str) -> None:
        for t in self.tokens:
            if t.account_id == account_id:
                t.access_expires_at = 0

    def revoke_all(self, account_id: str) -> None:
        for t in self.tokens:
            if t.account_id == account_id:
                t.revoked = True

    # -- endpoints -------------------------------------------------------------------------
    def install(self, app: Flask, *, authorize_path: str | None, token_path: str,
                revoke_path: str | None = None) -> None:
        if authorize_path:
            app.add_url_rule(authorize_path, "oauth_authorize", self._authorize, methods=["GET"])
        app.add_url_rule(token_path, "oauth_token", self._token, methods=["POST"])
        if revoke_path:
            app.add_url_rule(revoke_path, "oauth_revoke", self._revoke, methods=["POST"])

    def _authorize(self) -> Response | tuple[Response, int]:
        args = request.args
        if args.get("client_id") != self.client_id:
            return jsonify(error="invalid_client"), 400
        if args.get("response_type") != "code" or not args.get("redirect_uri"):
            return jsonify(error="invalid_request"), 400
        code = secrets.token_urlsafe(16)
        self.codes[code] = (self.next_account, args["redirect_uri"])
        params = {"code": code}
        if args.get("state"):
            params["state"] = args["state"]
        if self.account_param:
            params[self.account_param] = self.next_account
        sep = "&" if "?" in args["redirect_uri"] else "?"
        return redirect(args["redirect_uri"] + sep + urlencode(params))  # type: ignore[return-value]

    def _client(self) -> tuple[str | None, str | None]:
        if self.client_auth == "client_secret_basic":
            header = request.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return None, None
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return user, password
        return request.form.get("client_id"), request.form.get("client_secret")

    def _issue(self, account_id: str, *, refresh: bool = True) -> IssuedToken:
        now = self.clock()
        token = IssuedToken(account_id, "at-" + secrets.token_urlsafe(20), now + self.access_ttl,
                            "rt-" + secrets.token_urlsafe(20) if refresh else None,
                            now + self.refresh_ttl if refresh and self.refresh_ttl else None)
        self.tokens.append(token)
        return token

    def _answer(self, token: IssuedToken) -> Response:
        body: dict[str, object] = {"access_token": token.access_token, "token_type": "bearer",
                                   "expires_in": self.access_ttl}
        if token.refresh_token:
            body["refresh_token"] = token.refresh_token
        if token.refresh_expires_at:
            body["x_refresh_token_expires_in"] = int(token.refresh_expires_at - self.clock())
        return jsonify(body)

    def _refresh_usable(self, t: IssuedToken, now: float) -> bool:
        if t.revoked or (t.refresh_expires_at is not None and t.refresh_expires_at <= now):
            return False
        return t.replaced_at is None or now - t.replaced_at < self.old_refresh_grace

    def _token(self) -> Response | tuple[Response, int]:
        self.token_calls += 1
        grant = request.form.get("grant_type")
        if grant == "client_credentials":
            cid, csecret = request.form.get("client_id"), request.form.get("client_secret")
            for account, (known_id, known_secret) in self.credential_clients.items():
                if (cid, csecret) == (known_id, known_secret):
                    return self._answer(self._issue(account, refresh=False))
            return jsonify(error="invalid_client"), 401
        client_id, client_secret = self._client()
        if (client_id, client_secret) != (self.client_id, self.client_secret):
            return jsonify(error="invalid_client"), 401
        if grant == "authorization_code":
            entry = self.codes.pop(request.form.get("code", ""), None)
            if entry is None or entry[1] != request.form.get("redirect_uri"):
                return jsonify(error="invalid_grant", error_description="code invalid or used"), 400
            return self._answer(self._issue(entry[0]))
        if grant == "refresh_token":
            given = request.form.get("refresh_token", "")
            now = self.clock()
            for t in self.tokens:
                if t.refresh_token == given and self._refresh_usable(t, now):
                    if not self.rotate_refresh:
                        fresh = self._issue(t.account_id, refresh=False)
                        fresh.refresh_token = t.refresh_token
                        fresh.refresh_expires_at = t.refresh_expires_at
                        t.refresh_token = None
                        return self._answer(fresh)
                    if t.replaced_at is None:
                        t.replaced_at = now
                    return self._answer(self._issue(t.account_id))
            return jsonify(error="invalid_grant", error_description="refresh token invalid or expired"), 400
        return jsonify(error="unsupported_grant_type"), 400

    def _revoke(self) -> Response | tuple[Response, int]:
        given = (request.get_json(silent=True) or {}).get("token") or request.form.get("token", "")
        for t in self.tokens:
            if given in (t.access_token, t.refresh_token):
                self.revoke_all(t.account_id)
        return jsonify({})
