from __future__ import annotations

import sqlalchemy as sa

from connector.db.models import Install, RateCard, Tenant, User
from tests.conftest import PASSWORD, csrf_token, sign_in


def test_signup_creates_tenant_owner_rate_card_and_sandbox(client, runtime) -> None:
    page = client.get("/signup")
    response = client.post(
        "/signup",
        data={
            "company": "Northwind HVAC",
            "name": "Nora North",
            "email": "Nora@Northwind.example",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    with runtime.db.session() as session:
        user = session.scalar(sa.select(User).where(User.email == "nora@northwind.example"))
        assert user is not None and user.role == "owner"
        assert user.password_hash.startswith("$argon2id$")
        assert session.scalar(sa.select(Tenant.name).where(Tenant.id == user.tenant_id)) == "Northwind HVAC"
        assert session.scalar(sa.select(RateCard).where(RateCard.tenant_id == user.tenant_id)) is not None
        install = session.scalar(sa.select(Install).where(Install.tenant_id == user.tenant_id))
        assert install is not None and install.provider == "sandbox"
    home = client.get("/")
    assert "Northwind HVAC" in home.text
    assert install.account_id in home.text


def test_signup_rejects_short_password_and_taken_email(client, tenant) -> None:
    page = client.get("/signup")
    response = client.post(
        "/signup",
        data={"company": "X", "name": "Y", "email": tenant.owner_email, "password": "short",
              "confirm": "short", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 200
    assert "Use at least 10 characters." in response.text
    response = client.post(
        "/signup",
        data={"company": "X", "name": "Y", "email": tenant.owner_email, "password": PASSWORD,
              "confirm": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert "An account with this email exists" in response.text


def test_signup_without_csrf_token_is_refused(client) -> None:
    response = client.post(
        "/signup", data={"company": "X", "name": "Y", "email": "a@b.example", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 400


def test_login_with_wrong_password_fails_and_right_one_works(client, tenant) -> None:
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": tenant.owner_email, "password": "wrong password!", "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 200
    assert "Email or password is wrong." in response.text
    sign_in(client, tenant.owner_email)
    assert "Acme Heating" in client.get("/").text


def test_login_next_parameter_is_not_an_open_redirect(client, tenant) -> None:
    page = client.get("/login?next=https://evil.example/")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": tenant.owner_email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/"
