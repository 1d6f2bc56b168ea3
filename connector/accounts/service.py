"""Creating tenants and users (shared by sign-up, the CLI and the demo seed)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa

from connector.db.models import Install, RateCard, Tenant, User
from connector.db.models.tenants import Role
from connector.passwords import hash_password

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.crypto import SecretBox


class EmailTaken(ValueError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(sa.select(User.id).where(User.email == normalize_email(email))) is not None


def create_user(
    session: Session, *, email: str, name: str, password: str, role: Role, tenant_id: str | None
) -> User:
    if email_taken(session, email):
        raise EmailTaken(email)
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role.value,
        tenant_id=None if role == Role.SUPPORT else tenant_id,
    )
    session.add(user)
    session.flush()
    return user


def create_sandbox_install(session: Session, box: SecretBox, tenant_id: str) -> tuple[Install, str]:
    """Connects the tenant to the built-in sandbox FSM; returns the install and its secret."""
    secret = "sbx_whsec_" + secrets.token_urlsafe(24)
    install = Install(
        tenant_id=tenant_id,
        provider="sandbox",
        account_id="sbx_" + secrets.token_hex(6),
        webhook_secret_encrypted=box.encrypt(secret),
    )
    session.add(install)
    session.flush()
    return install, secret


def create_tenant(
    session: Session,
    box: SecretBox,
    *,
    company: str,
    owner_name: str,
    owner_email: str,
    password: str,
    timezone: str = "America/Chicago",
) -> tuple[Tenant, User, Install]:
    """A tenant with its owner, a default rate card and a sandbox connection."""
    if email_taken(session, owner_email):
        raise EmailTaken(owner_email)
    tenant = Tenant(name=company.strip(), timezone=timezone)
    session.add(tenant)
    session.flush()
    owner = create_user(
        session, email=owner_email, name=owner_name, password=password, role=Role.OWNER, tenant_id=tenant.id
    )
    session.add(RateCard(tenant_id=tenant.id))
    install, _secret = create_sandbox_install(session, box, tenant.id)
    return tenant, owner, install
