"""The consent page and the authorization endpoint (RFC 6749 §4.1.1, RFC 7636)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from connector.accounts import service
from connector.auth.scopes import SCOPES
from connector.crypto import digest
from connector.db.models import AuthorizationCode
from connector.db.models.tenants import Role
from tests.conftest import PASSWORD, csrf_token, sign_in


def _redirect_query(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return parse_qs(urlsplit(location).query)


def test_authorize_requires_sign_in(client, oauth_client) -> None:
    """Tests that an anonymous visitor is sent to the login page, and back afterwards."""
    url = "/oauth/authorize?response_type=code&client_id=" + oauth_client.client_id
    response = client.get(url)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [url]


def test_consent_page_names_client_and_scopes(flow) -> None:
    page = flow.client.get(flow.authorize_url())
    assert page.status_code == 200
    assert "Connect Zapier to Acme Heating" in page.text
    for description in SCOPES.values():
        assert description in page.text
    assert 'value="approve"' in page.text and 'value="deny"' in page.text
    assert 'name="csrf_token"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"


def test_consent_page_lists_only_requested_scopes(flow) -> None:
    page = flow.client.get(flow.authorize_url(scope="profile triggers"))
    assert SCOPES["triggers"] in page.text
    assert SCOPES["actions"] not in page.text


def test_consent_post_without_csrf_token_is_refused(flow, runtime) -> None:
    flow.client.get(flow.authorize_url())
    response = flow.client.post(flow.authorize_url(), data={"decision": "approve"})
    assert response.status_code == 400
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0


def test_deny_redirects_with_access_denied(flow, runtime) -> None:
    query = _redirect_query(flow.consent(decision="deny"))
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st-123"]
    assert "code" not in query
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0


def test_approve_issues_code_bound_to_the_users_tenant(flow, runtime, tenant) -> None:
    response = flow.consent()
    assert response.headers["Location"].startswith(flow.oauth_client.redirect_uri + "?")
    code = _redirect_query(response)["code"][0]
    with runtime.db.session() as session:
        row = session.scalar(sa.select(AuthorizationCode))
        assert row is not None
        assert row.code_digest == digest(code)
        assert row.tenant_id == tenant.tenant_id
        assert row.user_id == tenant.owner_id
        assert row.scope == "profile triggers hooks actions"  # the client's registered scope
        assert (row.code_challenge, row.code_challenge_method) == (flow.challenge, "S256")
        ttl = (row.expires_at - row.created_at).total_seconds()
        assert ttl == runtime.settings.auth_code_ttl


def test_missing_code_challenge_is_invalid_request(flow) -> None:
    url = flow.authorize_url(code_challenge=None, code_challenge_method=None)
    query = _redirect_query(flow.client.get(url))
    assert query["error"] == ["invalid_request"]
    assert "code_challenge" in query["error_description"][0]
    assert query["state"] == ["st-123"]


@pytest.mark.parametrize("method", ["plain", None, "S512"])
def test_code_challenge_method_other_than_s256_is_refused(flow, method) -> None:
    """Tests that plain (explicit or by omission, RFC 7636 §4.3) and unknown methods are refused."""
    params = {"code_challenge_method": method}
    if method == "plain":
        params["code_challenge"] = flow.verifier
    query = _redirect_query(flow.client.get(flow.authorize_url(**params)))
    assert query["error"] == ["invalid_request"]
    assert "S256" in query["error_description"][0]


def test_s256_challenge_that_is_malformed_is_refused(flow) -> None:
    query = _redirect_query(flow.client.get(flow.authorize_url(code_challenge="too-short")))
    assert query["error"] == ["invalid_request"]


def test_unknown_client_gets_an_error_page_not_a_redirect(flow) -> None:
    response = flow.client.get(flow.authorize_url(client_id="bb_nobody"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "The client does not exist on this server." in response.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI/extra",
        "https://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI",
        "https://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI/?next=x",
        "https://ZAPIER.com/dashboard/auth/oauth/return/BackboneCLIAPI/",
        "https://zapier.com.evil.example/dashboard/auth/oauth/return/BackboneCLIAPI/",
        "http://zapier.com/dashboard/auth/oauth/return/BackboneCLIAPI/",
    ],
)
def test_redirect_uri_must_match_a_registered_one_exactly(flow, runtime, redirect_uri) -> None:
    token = csrf_token(flow.client.get(flow.authorize_url()).text)
    url = flow.authorize_url(redirect_uri=redirect_uri)
    for response in (
        flow.client.get(url),
        flow.client.post(url, data={"decision": "approve", "csrf_token": token}),
    ):
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "is not supported by client" in response.text
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0


def test_redirect_uri_is_required_when_client_registered_several(flow) -> None:
    response = flow.client.get(flow.authorize_url(redirect_uri=None))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "redirect_uri" in response.text


def test_second_registered_redirect_uri_is_accepted(flow) -> None:
    page = flow.client.get(flow.authorize_url(redirect_uri=flow.oauth_client.redirect_uris[1]))
    assert page.status_code == 200


def test_redirect_uri_may_be_omitted_when_client_registered_one(register_client, make_flow, tenant) -> None:
    single = make_flow(tenant.owner_email, register_client("Make", ["https://make.example/cb"]))
    code = single.code(redirect_uri=None)
    assert single.exchange(code, redirect_uri="").status_code == 200


def test_unknown_scope_is_invalid_scope(flow) -> None:
    query = _redirect_query(flow.client.get(flow.authorize_url(scope="profile admin")))
    assert query["error"] == ["invalid_scope"]
    assert query["state"] == ["st-123"]


def test_scope_not_registered_for_the_client_is_invalid_scope(register_client, make_flow, tenant) -> None:
    narrow_client = register_client("Make", scope="profile triggers")
    narrow = make_flow(tenant.owner_email, narrow_client)
    query = _redirect_query(narrow.client.get(narrow.authorize_url(scope="profile actions")))
    assert query["error"] == ["invalid_scope"]
    page = narrow.client.get(narrow.authorize_url())
    assert SCOPES["triggers"] in page.text and SCOPES["actions"] not in page.text


def test_unsupported_response_type_is_reported_to_the_client(flow) -> None:
    query = _redirect_query(flow.client.get(flow.authorize_url(response_type="token")))
    assert query["error"] == ["unsupported_response_type"]


def test_support_staff_cannot_authorize(client, runtime, oauth_client) -> None:
    with runtime.db.session() as session:
        service.create_user(
            session,
            email="sam@backbone.example",
            name="Sam Support",
            password=PASSWORD,
            role=Role.SUPPORT,
            tenant_id=None,
        )
    sign_in(client, "sam@backbone.example")
    url = f"/oauth/authorize?response_type=code&client_id={oauth_client.client_id}"
    token = csrf_token(client.get("/login").text)
    for response in (client.get(url), client.post(url, data={"decision": "approve", "csrf_token": token})):
        assert response.status_code == 403
        assert "Support accounts belong to no company" in response.text
        assert "Location" not in response.headers
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) == 0
