"""The token endpoint: code exchange with PKCE, refresh rotation, grace window, reuse."""

from __future__ import annotations

import base64
import threading

import pytest
import sqlalchemy as sa

from connector.db.models import OAuthToken


def _error(response) -> str:  # type: ignore[no-untyped-def]
    """The RFC 6749 §5.2 error code (the body is Authlib's, not wrapped)."""
    assert set(response.json) <= {"error", "error_description", "error_uri", "state"}, response.json
    return str(response.json["error"])


def _count_pairs(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(OAuthToken)) or 0)


def test_full_pkce_flow_reaches_me(flow, tenant) -> None:
    """Tests sign-in → consent → code → token → /api/v1/me, the Zapier connection test."""
    response = flow.exchange(flow.code())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "profile triggers hooks actions"
    assert body["access_token"] != body["refresh_token"]
    me = flow.me(body["access_token"])
    assert me.status_code == 200
    assert me.json == {
        "tenant_id": tenant.tenant_id,
        "tenant_name": "Acme Heating",
        "user_id": tenant.owner_id,
        "email": tenant.owner_email,
        "name": "Olive Owner",
        "role": "owner",
        "client": "Zapier",
        "scopes": ["profile", "triggers", "hooks", "actions"],
        "label": f"Acme Heating ({tenant.owner_email})",
    }


def test_client_secret_basic_authenticates(flow) -> None:
    code = flow.code()
    credentials = f"{flow.oauth_client.client_id}:{flow.oauth_client.client_secret}"
    response = flow.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": flow.verifier,
            "redirect_uri": flow.oauth_client.redirect_uri,
        },
        headers={"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
    )
    assert response.status_code == 200, response.text


def test_wrong_client_secret_is_invalid_client(flow) -> None:
    response = flow.exchange(flow.code(), client_secret="not-the-secret")
    assert response.status_code in (400, 401)
    assert _error(response) == "invalid_client"


def test_wrong_code_verifier_is_invalid_grant(flow) -> None:
    code = flow.code()
    other_verifier = "x" * 64
    response = flow.exchange(code, verifier=other_verifier)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"
    assert flow.exchange(code).status_code == 200


def test_missing_code_verifier_is_invalid_request(flow) -> None:
    code = flow.code()
    response = flow.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.oauth_client.redirect_uri,
            "client_id": flow.oauth_client.client_id,
            "client_secret": flow.oauth_client.client_secret,
        },
    )
    assert response.status_code == 400
    assert _error(response) == "invalid_request"


def test_code_reuse_is_refused_and_revokes_its_tokens(flow, runtime) -> None:
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    again = flow.exchange(code)
    assert again.status_code == 400
    assert _error(again) == "invalid_grant"
    assert flow.me(first.json["access_token"]).status_code == 401
    assert _error(flow.refresh(first.json["refresh_token"])) == "invalid_grant"
    with runtime.db.session() as session:
        assert session.scalar(sa.select(OAuthToken.revoked_reason)) == "authorization_code_reused"


def test_expired_code_is_refused(flow, clock, runtime) -> None:
    code = flow.code()
    clock.advance(runtime.settings.auth_code_ttl + 1)
    response = flow.exchange(code)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_token_request_must_repeat_the_same_redirect_uri(flow) -> None:
    response = flow.exchange(flow.code(), redirect_uri=flow.oauth_client.redirect_uris[1])
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_code_cannot_be_exchanged_by_another_client(flow, register_client) -> None:
    code = flow.code()
    other = register_client("Make")
    response = flow.exchange(code, client_id=other.client_id, client_secret=other.client_secret)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit", "device_code"])
def test_only_code_and_refresh_grants_are_supported(flow, grant_type) -> None:
    response = flow.client.post(
        "/oauth/token",
        data={
            "grant_type": grant_type,
            "username": "u",
            "password": "p",
            "client_id": flow.oauth_client.client_id,
            "client_secret": flow.oauth_client.client_secret,
        },
    )
    assert response.status_code == 400
    assert _error(response) == "unsupported_grant_type"


def test_expired_access_token_is_401_with_www_authenticate(flow, clock) -> None:
    tokens = flow.tokens()
    clock.advance(3599)
    assert flow.me(tokens["access_token"]).status_code == 200
    clock.advance(1)
    response = flow.me(tokens["access_token"])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    error = response.json["error"]
    assert error["code"] == "invalid_token"
    assert error["message"] == "The access token has expired: refresh it."
    assert error["fields"] == []
    assert error["request_id"] == response.headers["X-Request-Id"]


def test_refresh_rotates_both_tokens(flow, clock, runtime) -> None:
    first = flow.tokens()
    clock.advance(3700)
    response = flow.refresh(first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 3600
    assert second["scope"] == first["scope"]
    assert flow.me(second["access_token"]).status_code == 200
    clock.advance(60)
    third = flow.refresh(second["refresh_token"])
    assert third.status_code == 200
    assert third.json["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    with runtime.db.session() as session:
        rows = session.scalars(sa.select(OAuthToken).order_by(OAuthToken.issued_at)).all()
        assert len({row.family_id for row in rows}) == 1
        assert [row.rotated_at is not None for row in rows] == [True, True, False]
        assert rows[0].replaced_by_id == rows[1].id and rows[1].replaced_by_id == rows[2].id


def test_refresh_within_grace_returns_same_pair(flow, clock, runtime) -> None:
    """Tests that a retried refresh inside the grace window gets the very same new pair."""
    first = flow.tokens()
    one = flow.refresh(first["refresh_token"])
    clock.advance(runtime.settings.refresh_grace_seconds)
    two = flow.refresh(first["refresh_token"])
    assert one.status_code == two.status_code == 200
    assert two.json["access_token"] == one.json["access_token"]
    assert two.json["refresh_token"] == one.json["refresh_token"]
    assert two.json["expires_in"] == 3600 - runtime.settings.refresh_grace_seconds
    assert _count_pairs(runtime) == 2
    assert flow.me(two.json["access_token"]).status_code == 200


def test_refresh_reuse_after_grace_revokes_the_family(flow, clock, runtime) -> None:
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json
    # Until then the previous access token keeps working for requests already in flight.
    assert flow.me(first["access_token"]).status_code == 200
    clock.advance(runtime.settings.refresh_grace_seconds + 1)
    reuse = flow.refresh(first["refresh_token"])
    assert reuse.status_code == 400
    assert _error(reuse) == "invalid_grant"
    for access in (first["access_token"], second["access_token"]):
        assert flow.me(access).status_code == 401
    assert _error(flow.refresh(second["refresh_token"])) == "invalid_grant"
    with runtime.db.session() as session:
        reasons = set(session.scalars(sa.select(OAuthToken.revoked_reason)))
    assert reasons == {"refresh_token_reused"}


def test_concurrent_refreshes_get_one_pair(flow, app, runtime) -> None:
    """Tests that simultaneous refreshes of one token all answer with the same single pair."""
    first = flow.tokens()
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def refresh() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": flow.oauth_client.client_id,
                "client_secret": flow.oauth_client.client_secret,
            },
        )
        with lock:
            results.append((response.status_code, response.json))

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in results] == [200] * 4, results
    assert len({(body["access_token"], body["refresh_token"]) for _, body in results}) == 1
    assert _count_pairs(runtime) == 2


def test_refresh_may_narrow_but_not_widen_the_scope(flow) -> None:
    tokens = flow.exchange(flow.code(scope="profile triggers")).json
    widened = flow.refresh(tokens["refresh_token"], scope="profile actions")
    assert widened.status_code == 400
    assert _error(widened) == "invalid_scope"
    narrowed = flow.refresh(tokens["refresh_token"], scope="profile")
    assert narrowed.status_code == 200
    assert narrowed.json["scope"] == "profile"


def test_refresh_token_of_another_client_is_invalid_grant(flow, register_client) -> None:
    tokens = flow.tokens()
    other = register_client("Make")
    response = flow.refresh(tokens["refresh_token"], client_id=other.client_id, client_secret=other.client_secret)
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_expired_refresh_token_is_invalid_grant(flow, clock, runtime) -> None:
    tokens = flow.tokens()
    clock.advance(runtime.settings.refresh_token_ttl + 1)
    response = flow.refresh(tokens["refresh_token"])
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_unknown_refresh_token_is_invalid_grant(flow) -> None:
    flow.tokens()
    response = flow.refresh("not-a-refresh-token")
    assert response.status_code == 400
    assert _error(response) == "invalid_grant"


def test_token_endpoint_needs_no_csrf_but_only_post(client) -> None:
    response = client.get("/oauth/token")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
