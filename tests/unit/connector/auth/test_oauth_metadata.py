"""Authorization server metadata (RFC 8414), served for an https public URL."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

BASE_URL = "https://backbone.example"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """Production-like: the public URL is https, the WSGI request URL is not."""
    return settings.model_copy(update={"base_url": BASE_URL})


def test_metadata_describes_the_server(client) -> None:
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.json == {
        "issuer": BASE_URL,
        "authorization_endpoint": f"{BASE_URL}/oauth/authorize",
        "token_endpoint": f"{BASE_URL}/oauth/token",
        "revocation_endpoint": f"{BASE_URL}/oauth/revoke",
        "scopes_supported": ["profile", "triggers", "hooks", "actions"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }


def test_metadata_is_valid_rfc_8414(client) -> None:
    AuthorizationServerMetadata(client.get("/.well-known/oauth-authorization-server").json).validate()


def test_token_endpoint_works_behind_a_tls_terminating_proxy(flow) -> None:
    """Tests that Authlib's https check sees the public URL, not the proxied plain-http one."""
    code = flow.code()
    response = flow.client.post(
        "/oauth/token",
        base_url="http://backbone-web.internal:8000",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": flow.verifier,
            "redirect_uri": flow.oauth_client.redirect_uri,
            "client_id": flow.oauth_client.client_id,
            "client_secret": flow.oauth_client.client_secret,
        },
    )
    assert response.status_code == 200, response.text
