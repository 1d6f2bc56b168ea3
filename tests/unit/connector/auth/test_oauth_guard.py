"""require_token: bearer authentication, scopes, the Principal, and tenant isolation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from connector.auth.guard import Principal, current_principal, require_token
from connector.db.models import OAuthToken


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    """The app with two probe views, added before its first request."""

    @require_token("triggers", "actions")
    def probe():  # type: ignore[no-untyped-def]
        principal = current_principal()
        return jsonify(
            tenant_id=principal.tenant_id,
            scopes=list(principal.scopes),
            client=principal.client_name,
            token_id=principal.token_id,
        )

    @require_token()
    def any_scope():  # type: ignore[no-untyped-def]
        return jsonify(user_id=current_principal().user_id)

    app.add_url_rule("/api/v1/probe", view_func=probe)
    app.add_url_rule("/api/v1/any-scope", view_func=any_scope)
    return app


def _get(flow, path: str, header: str):  # type: ignore[no-untyped-def]
    return flow.client.get(path, headers={"Authorization": header})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Send an access token: Authorization: Bearer <token>."),
        ("Bearer", "Send an access token: Authorization: Bearer <token>."),
        ("Basic dXNlcjpwYXNz", "Send an access token: Authorization: Bearer <token>."),
        ("Bearer not-a-token", "The access token is not valid."),
    ],
)
def test_missing_or_unknown_token_is_401(flow, header, message) -> None:
    flow.tokens()
    headers = {"Authorization": header} if header else {}
    response = flow.client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json["error"]["code"] == "invalid_token"
    assert response.json["error"]["message"] == message
    assert response.json["error"]["fields"] == []
    assert response.json["error"]["request_id"]


def test_scheme_is_case_insensitive(flow) -> None:
    tokens = flow.tokens()
    assert _get(flow, "/api/v1/me", "bearer " + tokens["access_token"]).status_code == 200


def test_missing_scope_is_403_insufficient_scope(flow) -> None:
    tokens = flow.exchange(flow.code(scope="triggers hooks")).json
    response = flow.me(tokens["access_token"])
    assert response.status_code == 403
    assert response.json["error"]["code"] == "insufficient_scope"
    assert response.json["error"]["message"] == ("This needs the profile permission: reconnect Backbone and allow it.")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="profile"'


def test_every_listed_scope_is_required(flow) -> None:
    partial = flow.exchange(flow.code(scope="profile triggers")).json
    assert _get(flow, "/api/v1/probe", "Bearer " + partial["access_token"]).status_code == 403
    full = flow.tokens()
    response = _get(flow, "/api/v1/probe", "Bearer " + full["access_token"])
    assert response.status_code == 200
    assert response.json["scopes"] == ["profile", "triggers", "hooks", "actions"]
    assert response.json["client"] == "Zapier"
    assert _get(flow, "/api/v1/any-scope", "Bearer " + partial["access_token"]).status_code == 200


def test_principal_describes_the_token(flow, runtime, tenant) -> None:
    tokens = flow.tokens()
    response = _get(flow, "/api/v1/probe", "Bearer " + tokens["access_token"])
    with runtime.db.session() as session:
        row = session.scalar(sa.select(OAuthToken))
        assert row is not None
        assert response.json["token_id"] == row.id
    assert response.json["tenant_id"] == tenant.tenant_id


def test_revoked_client_tokens_stop_working(flow, runtime) -> None:
    from connector.auth.clients import revoke_client

    tokens = flow.tokens()
    with runtime.db.session() as session:
        revoke_client(session, flow.oauth_client.client_id, runtime.clock())
    assert flow.me(tokens["access_token"]).status_code == 401
    refreshed = flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400  # client_secret_post; Basic would get a 401
    assert refreshed.json["error"] == "invalid_client"


def test_each_tenant_sees_only_itself(flow, make_flow, tenant, other_tenant) -> None:
    """Tests that two companies connected through the same client each get their own tenant."""
    other = make_flow(other_tenant.owner_email)
    mine = flow.me(flow.tokens()["access_token"]).json
    theirs = other.me(other.tokens()["access_token"]).json
    assert (mine["tenant_id"], mine["tenant_name"]) == (tenant.tenant_id, "Acme Heating")
    assert (theirs["tenant_id"], theirs["tenant_name"]) == (other_tenant.tenant_id, "Other Plumbing")
    assert theirs["email"] == other_tenant.owner_email
    assert theirs["label"] == f"Other Plumbing ({other_tenant.owner_email})"


def test_a_code_is_bound_to_the_tenant_of_the_user_who_approved(flow, make_flow, runtime, other_tenant) -> None:
    other = make_flow(other_tenant.owner_email)
    code = other.code()
    # The Acme session's Zapier exchanges the code Other Plumbing's owner approved.
    tokens = flow.exchange(code, verifier=other.verifier).json
    assert flow.me(tokens["access_token"]).json["tenant_id"] == other_tenant.tenant_id


def test_current_principal_outside_a_protected_view_fails_loudly(app) -> None:
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        current_principal()


def test_principal_is_frozen() -> None:
    principal = Principal("t", "u", "c", "Zapier", ("profile",), "tok")
    with pytest.raises(AttributeError):
        principal.tenant_id = "other"  # type: ignore[misc]
