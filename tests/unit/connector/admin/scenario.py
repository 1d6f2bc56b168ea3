"""Making action runs the way production does (webhooks in, actions called), for admin tests.

Shared by the unit tests of the admin page and its browser test.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.accounts.service import create_user
from connector.db.models import Job
from connector.db.models.tenants import Role
from connector.sandbox.accounting import SandboxAccounting, set_outage
from tests.conftest import PASSWORD
from tests.factories import bearer
from tests.helpers import T0, job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

INVOICE_URL = "/api/v1/actions/generate_invoice"
PARTS = [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}]
SUPPORT_EMAIL = "sam.support@example.com"
TIMEOUT_MESSAGE = "The accounting system timed out after accepting the invoice"


def make_support(runtime: Runtime, email: str = SUPPORT_EMAIL, name: str = "Sam Support") -> str:
    """A platform-wide support user; returns the email (the password is tests.conftest.PASSWORD)."""
    with runtime.db.session() as session:
        create_user(session, email=email, name=name, password=PASSWORD, role=Role.SUPPORT, tenant_id=None)
    return email


def completed_job(client: Any, runtime: Runtime, tenant: TenantInfo, source_id: str = "J-1") -> str:
    """A job of the tenant that arrived and was completed (so it can be invoiced); its id."""
    post_sandbox(client, tenant, "job.arrived", T0, job_data(source_id), event_id=f"a-{source_id}")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(minutes=90), job_data(source_id, parts=PARTS),
                 event_id=f"c-{source_id}")
    with runtime.db.session() as session:
        job_id = session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id, Job.source_id == source_id))
    assert job_id is not None
    return job_id


def call_invoice(client: Any, token: str, job_id: str, key: str) -> Any:
    return client.post(INVOICE_URL, json={"job_id": job_id}, headers=bearer(token) | {"Idempotency-Key": key})


def failed_invoice_run(client: Any, runtime: Runtime, tenant: TenantInfo, token: str, *,
                       source_id: str = "J-1", key: str | None = None) -> str:
    """A generate_invoice run that failed because the accounting timed out after creating it.

    The sandbox outage is left on: switch it off (or not) before replaying.
    """
    job_id = completed_job(client, runtime, tenant, source_id)
    set_outage(runtime.sandbox_db, tenant.account_id, "timeout_after_create")
    response = call_invoice(client, token, job_id, key or f"zap-{source_id}")
    assert response.status_code == 503, response.json
    return str(response.headers["Backbone-Run-Id"])


def remote_invoices(runtime: Runtime, tenant: TenantInfo) -> int:
    """How many invoices the sandbox accounting system holds for the tenant."""
    return SandboxAccounting(runtime.sandbox_db, tenant.account_id).count()
