"""Who may read and who may write on the admin page (warehouse's read/write permissions).

Reading is every GET; writing is every POST (replays, sandbox switches), which also needs CSRF
and leaves an audit row. Support staff hold both today; a read-only support role would be
added to ADMIN_READ only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from connector.accounts.users import roles_required
from connector.db.models.tenants import Role

if TYPE_CHECKING:
    from collections.abc import Callable

F = TypeVar("F", bound="Callable[..., Any]")

ADMIN_READ = "admin.read"
ADMIN_WRITE = "admin.write"

#: The roles that hold each permission.
PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN_READ: frozenset({Role.SUPPORT.value}),
    ADMIN_WRITE: frozenset({Role.SUPPORT.value}),
}


def has_permission(role: str | None, permission: str) -> bool:
    return role is not None and role in PERMISSIONS[permission]


def permission_required(permission: str) -> Callable[[F], F]:
    """The view needs a signed-in user holding `permission`: 403 otherwise, login when signed out."""
    return roles_required(*sorted(PERMISSIONS[permission]))


read_required = permission_required(ADMIN_READ)
write_required = permission_required(ADMIN_WRITE)
