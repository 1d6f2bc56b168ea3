"""An install started in the provider's marketplace: the company is created, or an owner confirms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa

from connector.db.models import Install, PendingInstall, Tenant
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.provider_kits import JobberKit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.runtime import Runtime
    from tests.conftest import TenantInfo


@pytest.fixture(scope="module")
def started_kit() -> Iterator[JobberKit]:
    kit = JobberKit()
    with kit.emulator:
        yield kit


def from_marketplace(client: Any, kit: JobberKit) -> Any:
    """Jobber's marketplace sends the user to the consent screen, then to our callback: no state of ours."""
    query = urlencode({"response_type": "code", "client_id": kit.emulator.client_id,
                       "redirect_uri": "http://127.0.0.1:8000/install/jobber/callback"})
    consent = requests.get(f"{kit.emulator.url}/api/oauth/authorize?{query}", allow_redirects=False, timeout=10)
    back = urlsplit(consent.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_a_new_company_is_created_for_a_marketplace_install(client: Any, kit: JobberKit, runtime: Runtime) -> None:
    held = from_marketplace(client, kit)
    assert held.status_code == 302 and "/install/pending/" in held.headers["Location"], held.text
    page = client.get(held.headers["Location"])
    assert page.status_code == 200 and "Acme Plumbing &amp; Heating" in page.text
    answer = client.post(held.headers["Location"], data={
        "company": "Acme Plumbing & Heating", "name": "Pat Owner", "email": "pat@acme-plumbing.example",
        "password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/connections"), answer.text
    with runtime.db.session() as session:
        install = session.scalars(sa.select(Install).where(Install.provider == "jobber")).one()
        tenant = session.get(Tenant, install.tenant_id)
        assert tenant is not None and tenant.name == "Acme Plumbing & Heating"
        assert install.account_id == kit.account_id and install.access_token_encrypted
        assert session.scalar(sa.select(sa.func.count()).select_from(PendingInstall)) == 0
    assert "Acme Plumbing" in client.get("/connections").text


def test_a_signed_in_owner_confirms_a_marketplace_install(client: Any, kit: JobberKit, runtime: Runtime,
                                                          tenant: TenantInfo) -> None:
    sign_in(client, tenant.owner_email)
    held = from_marketplace(client, kit)
    page = client.get(held.headers["Location"])
    assert "Connect it to your company" in page.text
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Install)
                              .where(Install.provider == "jobber")) == 0, "nothing is linked before the owner says so"
    answer = client.post(held.headers["Location"], data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302, answer.text
    with runtime.db.session() as session:
        install = session.scalars(sa.select(Install).where(Install.provider == "jobber")).one()
        assert install.tenant_id == tenant.tenant_id


def test_a_pending_install_belongs_to_the_browser_that_started_it(client: Any, app: Any, kit: JobberKit) -> None:
    held = from_marketplace(client, kit)
    stranger = app.test_client()
    assert stranger.get(held.headers["Location"]).status_code == 404
    assert stranger.post(held.headers["Location"], data={}).status_code in (400, 404)


def test_a_forged_state_is_refused(client: Any, kit: JobberKit, tenant: TenantInfo) -> None:
    sign_in(client, tenant.owner_email)
    client.get("/install/jobber")  # our state is in the session now
    answer = client.get("/install/jobber/callback?code=abc&state=not-ours")
    assert answer.status_code == 400 and "expired" in answer.text
