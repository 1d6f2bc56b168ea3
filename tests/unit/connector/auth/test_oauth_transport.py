"""A plain-http public URL off loopback is refused by the OAuth endpoints (RFC 6749 §3.1)."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"base_url": "http://backbone.example"})


def test_token_endpoint_answers_insecure_transport(client, oauth_client) -> None:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": oauth_client.client_id,
            "client_secret": oauth_client.client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json["error"] == "insecure_transport"
    revoke = client.post("/oauth/revoke", data={"token": "x"})
    assert revoke.json["error"] == "insecure_transport"


def test_consent_page_refuses_insecure_transport(signed_in_client, oauth_client) -> None:
    url = f"/oauth/authorize?response_type=code&client_id={oauth_client.client_id}"
    response = signed_in_client.get(url)
    assert response.status_code == 400
    assert "OAuth 2 MUST utilize https." in response.text
