"""OAuth 2.0 provider state: clients, authorization codes and token families.

Secrets, codes and tokens are stored only as SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.base import Base, TenantScoped, new_id, utcnow


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_secret_digest: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    redirect_uris: Mapped[list[str]] = mapped_column(sa.JSON)
    scope: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AuthorizationCode(TenantScoped, Base):
    __tablename__ = "oauth_authorization_codes"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    code_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.String(255))
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthToken(TenantScoped, Base):
    """One access/refresh pair. Pairs rotated from one another share a `family_id`."""

    __tablename__ = "oauth_tokens"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    family_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(255))
    access_token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime]
    # Set when this pair's refresh token was exchanged for the next pair.
    rotated_at: Mapped[datetime | None]
    replaced_by_id: Mapped[str | None] = mapped_column(sa.String(32))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(100))

    def as_authlib_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "client_id": self.client_id}
