"""The revocation endpoint (RFC 7009)."""

from __future__ import annotations

import base64

import pytest


def test_revoking_a_refresh_token_revokes_its_family(flow, clock) -> None:
    first = flow.tokens()
    second = flow.refresh(first["refresh_token"]).json
    response = flow.revoke(second["refresh_token"], hint="refresh_token")
    assert response.status_code == 200
    assert response.json == {}
    for access in (first["access_token"], second["access_token"]):
        assert flow.me(access).status_code == 401
    refreshed = flow.refresh(second["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json["error"] == "invalid_grant"


def test_revoking_an_access_token_keeps_the_refresh_token(flow) -> None:
    tokens = flow.tokens()
    assert flow.revoke(tokens["access_token"]).status_code == 200
    response = flow.me(tokens["access_token"])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    refreshed = flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert flow.me(refreshed.json["access_token"]).status_code == 200


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_hint_only_orders_the_lookup(flow, hint) -> None:
    tokens = flow.tokens()
    assert flow.revoke(tokens["refresh_token"], hint=hint).status_code == 200
    assert flow.me(tokens["access_token"]).status_code == 401


def test_unknown_token_answers_200(flow) -> None:
    flow.tokens()
    response = flow.revoke("never-issued")
    assert response.status_code == 200


def test_revocation_needs_client_authentication(flow) -> None:
    tokens = flow.tokens()
    response = flow.client.post("/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert flow.me(tokens["access_token"]).status_code == 200


def test_revocation_accepts_client_secret_basic(flow) -> None:
    tokens = flow.tokens()
    credentials = f"{flow.oauth_client.client_id}:{flow.oauth_client.client_secret}"
    response = flow.client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        headers={"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
    )
    assert response.status_code == 200
    assert flow.me(tokens["access_token"]).status_code == 401


def test_a_client_cannot_revoke_another_clients_token(flow, register_client) -> None:
    tokens = flow.tokens()
    other = register_client("Make")
    response = flow.client.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "client_id": other.client_id, "client_secret": other.client_secret},
    )
    assert response.status_code == 400
    assert flow.me(tokens["access_token"]).status_code == 200
