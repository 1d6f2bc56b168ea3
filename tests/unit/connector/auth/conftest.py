"""Fixtures for the OAuth provider tests: a controllable clock, a registered client, the flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from connector.cli_oauth import add_client
from tests.conftest import csrf_token, sign_in

REDIRECT_URI = "https://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI/"
MAKE_REDIRECT_URI = "https://www.integromat.com/oauth/cb/app"


class FakeClock:
    """The runtime's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(runtime) -> FakeClock:  # type: ignore[no-untyped-def]
    fake = FakeClock()
    runtime.clock = fake
    return fake


@dataclass
class ClientInfo:
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]


@pytest.fixture
def register_client(runtime):  # type: ignore[no-untyped-def]
    """Registers a client the way the CLI does; returns its id, secret and redirect URIs."""

    def register(name: str = "Zapier", redirect_uris: list[str] | None = None, scope: str | None = None) -> ClientInfo:
        uris = redirect_uris or [REDIRECT_URI, MAKE_REDIRECT_URI]
        client_id, secret = add_client(runtime, name, uris, scope)
        return ClientInfo(client_id, secret, uris)

    return register


@pytest.fixture
def oauth_client(register_client) -> ClientInfo:  # type: ignore[no-untyped-def]
    return register_client()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


class Flow:
    """Drives the authorization-code flow through the Flask test client, as Zapier would."""

    def __init__(self, client: Any, oauth_client: ClientInfo) -> None:
        self.client = client
        self.oauth_client = oauth_client
        self.verifier, self.challenge = pkce_pair()

    def authorize_params(self, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.oauth_client.client_id,
            "redirect_uri": self.oauth_client.redirect_uri,
            "state": "st-123",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize_url(self, **overrides: str | None) -> str:
        return "/oauth/authorize?" + urlencode(self.authorize_params(**overrides))

    def consent(self, decision: str = "approve", **overrides: str | None) -> Any:
        url = self.authorize_url(**overrides)
        page = self.client.get(url)
        assert page.status_code == 200, page.text
        return self.client.post(url, data={"csrf_token": csrf_token(page.text), "decision": decision})

    def code(self, **overrides: str | None) -> str:
        response = self.consent(**overrides)
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert query["state"] == ["st-123"]
        return query["code"][0]

    def exchange(self, code: str, verifier: str | None = None, **extra: str) -> Any:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.oauth_client.redirect_uri,
            "code_verifier": verifier or self.verifier,
            "client_id": self.oauth_client.client_id,
            "client_secret": self.oauth_client.client_secret,
            **extra,
        }
        return self.client.post("/oauth/token", data=data)

    def tokens(self) -> dict[str, Any]:
        response = self.exchange(self.code())
        assert response.status_code == 200, response.text
        return dict(response.json)

    def refresh(self, refresh_token: str, **extra: str) -> Any:
        return self.client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.oauth_client.client_id,
                "client_secret": self.oauth_client.client_secret,
                **extra,
            },
        )

    def revoke(self, token: str, hint: str | None = None) -> Any:
        data = {
            "token": token,
            "client_id": self.oauth_client.client_id,
            "client_secret": self.oauth_client.client_secret,
        }
        if hint:
            data["token_type_hint"] = hint
        return self.client.post("/oauth/revoke", data=data)

    def me(self, access_token: str) -> Any:
        return self.client.get("/api/v1/me", headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def signed_in_client(client, tenant):  # type: ignore[no-untyped-def]
    sign_in(client, tenant.owner_email)
    return client


@pytest.fixture
def flow(signed_in_client, oauth_client, clock) -> Flow:  # type: ignore[no-untyped-def]
    return Flow(signed_in_client, oauth_client)


@pytest.fixture
def make_flow(app, oauth_client, clock):  # type: ignore[no-untyped-def]
    """A Flow for a user signed in on a new test client (by default with the Zapier client)."""

    def make(email: str, client_info: ClientInfo | None = None) -> Flow:
        client = app.test_client()
        sign_in(client, email)
        return Flow(client, client_info or oauth_client)

    return make
