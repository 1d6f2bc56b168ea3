"""The signed-in user, as Flask-Login sees it, and the role checks views use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from flask import abort, current_app
from flask_login import UserMixin, current_user

from connector.db.models import Tenant, User
from connector.db.models.tenants import Role
from connector.extensions import login_manager

if TYPE_CHECKING:
    from connector.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    id: str
    email: str
    name: str
    role: str
    tenant_id: str | None
    tenant_name: str | None
    timezone: str = "UTC"

    @property
    def is_support(self) -> bool:
        return self.role == Role.SUPPORT

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"


def runtime() -> Runtime:
    return cast("Runtime", current_app.extensions["backbone"])


def load_signed_in_user(user_id: str) -> SignedInUser | None:
    with runtime().db.session() as session:
        row = session.execute(
            sa.select(User, Tenant.name, Tenant.timezone)
            .outerjoin(Tenant, Tenant.id == User.tenant_id)
            .where(User.id == user_id)
        ).first()
        if row is None:
            return None
        user, tenant_name, timezone = row
        return SignedInUser(
            user.id, user.email, user.name, user.role, user.tenant_id, tenant_name, timezone or "UTC"
        )


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    return load_signed_in_user(user_id)


def signed_in() -> SignedInUser:
    return cast("SignedInUser", current_user._get_current_object())


def roles_required(*roles: str) -> Callable[[F], F]:
    """The view needs a signed-in user with one of these roles (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast("F", wrapper)

    return decorator
