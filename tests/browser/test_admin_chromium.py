"""Support staff find a failed run and replay it, in a real headless Chromium."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from connector.db.models import ActionRun, AuditEntry, Invoice
from connector.sandbox.accounting import set_outage
from tests.conftest import PASSWORD, make_tenant
from tests.factories import issue_token
from tests.unit.connector.admin.scenario import (
    TIMEOUT_MESSAGE,
    call_invoice,
    completed_job,
    failed_invoice_run,
    make_support,
    remote_invoices,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, email: str, then: str) -> None:
    """Signs in through the real login page, arriving there the way a user does."""
    page.goto(f"{base}{then}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _noise(client: Any, runtime: Runtime) -> str:
    """Another tenant's run that succeeded, which the status filter must leave out."""
    other = make_tenant(runtime, company="Other Plumbing")
    response = call_invoice(client, issue_token(runtime, other), completed_job(client, runtime, other), "zap-ok")
    assert response.status_code == 200, response.json
    return str(response.headers["Backbone-Run-Id"])


def test_support_replays_a_failed_run(client, runtime, tenant: TenantInfo, token: str, live_server: str,
                                      new_page: Any, artifacts: Path) -> None:
    run_id = failed_invoice_run(client, runtime, tenant, token, key="zap-browser-1")
    set_outage(runtime.sandbox_db, tenant.account_id, "off")  # the outage is over
    ok_run = _noise(client, runtime)
    email = make_support(runtime)
    backend = runtime.db.engine.dialect.name

    page = new_page()
    sign_in(page, live_server, email, "/admin/runs")
    expect(page).to_have_url(f"{live_server}/admin/runs")
    expect(page.locator(f"#run-{ok_run}")).to_be_visible()

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/admin/runs\?status=failed"))
    rows = page.locator("table.runs tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Acme Heating")
    expect(rows.first.locator(".status")).to_have_text("failed")
    page.screenshot(path=str(artifacts / f"runs_failed-{backend}.png"), full_page=True)

    page.get_by_role("link", name=f"Details of run {run_id}").click()
    expect(page).to_have_url(f"{live_server}/admin/runs/{run_id}")
    expect(page.locator(".error-message")).to_contain_text(TIMEOUT_MESSAGE)
    expect(page.locator(".idempotency-key").first).to_have_text("zap-browser-1")
    expect(page.locator(".attempt-count")).to_have_text("1")
    page.screenshot(path=str(artifacts / f"run_detail_failed-{backend}.png"), full_page=True)

    page.get_by_role("button", name="Replay", exact=True).click()
    expect(page).to_have_url(f"{live_server}/admin/runs/{run_id}")
    expect(page.locator(".flash")).to_have_text("Replayed: the run succeeded on attempt 2.")
    expect(page.locator(".run-head .status")).to_have_text("succeeded")
    expect(page.locator(".attempt-count")).to_have_text("2")
    expect(page.locator("table.attempts tr")).to_have_count(3)  # header, call, replay
    audit = page.get_by_role("region", name="Audit")
    expect(audit).to_contain_text("run.replay")
    expect(audit).to_contain_text(email)
    expect(page.get_by_role("button", name="Replay", exact=True)).to_have_count(0)
    page.screenshot(path=str(artifacts / f"run_detail-{backend}.png"), full_page=True)

    assert remote_invoices(runtime, tenant) == 1  # the original idempotency key: billed once
    with runtime.db.session() as session:
        invoices = session.scalar(
            sa.select(sa.func.count()).select_from(Invoice).where(Invoice.tenant_id == tenant.tenant_id))
        assert invoices == 1
        run = session.get(ActionRun, run_id)
        assert run is not None and (run.status, run.attempts, run.replay_count) == ("succeeded", 2, 1)
        [entry] = session.scalars(sa.select(AuditEntry)).all()
        assert (entry.action, entry.target_id, entry.actor_email) == ("run.replay", run_id, email)


def test_a_tenant_owner_gets_403_at_admin(tenant: TenantInfo, live_server: str, new_page: Any) -> None:
    page = new_page()
    sign_in(page, live_server, tenant.owner_email, "/admin/runs")  # back to /admin/runs once signed in
    expect(page).to_have_url(f"{live_server}/admin/runs")
    expect(page.get_by_role("heading", level=1)).to_have_text("403 Forbidden")
    for path in ("/admin", "/admin/runs", "/admin/sandbox"):
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 403, path
        assert response.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", level=1)).to_have_text("403 Forbidden")
    expect(page.get_by_role("link", name="Runs")).to_have_count(0)  # no admin links in the nav
