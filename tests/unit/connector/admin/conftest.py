"""Fixtures for the admin page tests: a support user, signed-in clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import sign_in
from tests.unit.connector.admin.scenario import make_support

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo


@pytest.fixture
def support_email(runtime: Runtime) -> str:
    return make_support(runtime)


@pytest.fixture
def support(app: Any, support_email: str) -> Any:
    """A test client signed in as support staff."""
    client = app.test_client()
    sign_in(client, support_email)
    return client


@pytest.fixture
def owner(app: Any, tenant: TenantInfo) -> Any:
    """A test client signed in as the tenant's owner (no admin rights)."""
    client = app.test_client()
    sign_in(client, tenant.owner_email)
    return client
