"""The OAuth flow over real HTTP, as Zapier drives it: a real server on 127.0.0.1, `requests`."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from connector.cli_oauth import add_client

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

REDIRECT_URI = "https://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI/"


@pytest.fixture
def server_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


def _sign_in(browser: requests.Session, base: str, email: str, password: str) -> None:
    page = browser.get(f"{base}/login", timeout=10)
    response = browser.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": _csrf(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text


def _authorize(browser: requests.Session, base: str, client_id: str, challenge: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "state": "zap-state",
            "scope": "profile triggers",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    url = f"{base}/oauth/authorize?{query}"
    # Anonymous: sent to sign in, with a way back.
    anonymous = requests.get(url, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302
    assert urlsplit(anonymous.headers["Location"]).path == "/login"
    page = browser.get(url, timeout=10)
    assert page.status_code == 200
    assert "Connect Zapier to Acme Heating" in page.text
    response = browser.post(
        url,
        data={"csrf_token": _csrf(page.text), "decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == ["zap-state"]
    return params["code"][0]


def test_full_flow_over_http_with_basic_client_auth(server_url, runtime, tenant) -> None:
    client_id, secret = add_client(runtime, "Zapier", [REDIRECT_URI], None)
    basic = (client_id, secret)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()

    metadata = requests.get(f"{server_url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["code_challenge_methods_supported"] == ["S256"]

    browser = requests.Session()
    _sign_in(browser, server_url, tenant.owner_email, tenant.password)
    code = _authorize(browser, server_url, client_id, challenge)

    # Zapier's server, not the browser, exchanges the code, authenticating with HTTP Basic.
    token_url = metadata["token_endpoint"].replace(runtime.settings.base_url, server_url)
    response = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=basic,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["scope"] == "profile triggers"

    me = requests.get(
        f"{server_url}/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["tenant_id"] == tenant.tenant_id
    assert me.json()["label"] == f"Acme Heating ({tenant.owner_email})"

    # The code is single-use.
    replay = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=basic,
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_refresh_and_revoke_over_http(server_url, runtime, tenant) -> None:
    client_id, secret = add_client(runtime, "Zapier", [REDIRECT_URI], None)
    basic = (client_id, secret)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    browser = requests.Session()
    _sign_in(browser, server_url, tenant.owner_email, tenant.password)
    code = _authorize(browser, server_url, client_id, challenge)
    tokens = requests.post(
        f"{server_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=basic,
        timeout=10,
    ).json()

    # Wrong secret over Basic: 401 with the RFC 6749 body.
    wrong = requests.post(
        f"{server_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client_id, "wrong"),
        timeout=10,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    first = requests.post(f"{server_url}/oauth/token", data=refresh, auth=basic, timeout=10)
    retry = requests.post(f"{server_url}/oauth/token", data=refresh, auth=basic, timeout=10)
    assert first.status_code == retry.status_code == 200
    assert first.json()["access_token"] == retry.json()["access_token"]
    assert first.json()["refresh_token"] == retry.json()["refresh_token"] != tokens["refresh_token"]
    new = first.json()

    revoked = requests.post(
        f"{server_url}/oauth/revoke",
        data={"token": new["refresh_token"], "token_type_hint": "refresh_token"},
        auth=basic,
        timeout=10,
    )
    assert revoked.status_code == 200
    me = requests.get(f"{server_url}/api/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"}, timeout=10)
    assert me.status_code == 401
    assert me.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert me.json()["error"]["code"] == "invalid_token"
