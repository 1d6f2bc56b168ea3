"""One kit per provider: its emulator, and how a test connects, changes something and gets the webhooks.

The flow tests (tests/unit/connector/connections/test_provider_flows.py) run the same checks over
every kit, so adding a provider is one adapter, one emulator and one kit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from connector.config import HousecallProApp, QuickBooksApp, ServiceTitanApp
from tests.conftest import csrf_token
from tests.emulators.housecallpro import DEFAULT_SECRET as HCP_SECRET
from tests.emulators.housecallpro import HousecallProEmulator
from tests.emulators.jobber import DEFAULT_ACCOUNT as JOBBER_ACCOUNT
from tests.emulators.jobber import JobberEmulator
from tests.emulators.quickbooks import QuickBooksEmulator
from tests.emulators.servicetitan import DEFAULT_APP_KEY, DEFAULT_HMAC_KEY, TOKEN_PATH, ServiceTitanEmulator
from triggers.canonical import EventType

if TYPE_CHECKING:
    from connector.config import ProviderApp
    from tests.emulators.server import Emulator

Webhook = tuple[dict[str, str], bytes]


def _tomorrow(hour: int) -> datetime:
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return day.replace(hour=hour)


def oauth_install(client: Any, provider: str) -> Any:
    """Drives a marketplace install: Backbone → the provider's consent (auto-approved) → the callback."""
    start = client.get(f"/install/{provider}")
    assert start.status_code == 302, start.text
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def credentials_install(client: Any, provider: str, values: dict[str, str]) -> Any:
    page = client.get(f"/install/{provider}")
    assert page.status_code == 200, page.text
    return client.post(f"/install/{provider}", data={**values, "csrf_token": csrf_token(page.text)})


@dataclass
class Kit:
    name: str
    emulator: Emulator
    trigger: str
    event_type: EventType
    signature_header: str
    account_id: str = ""
    changed: list[Webhook] = field(default_factory=list)

    def app(self) -> ProviderApp:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def connect(self, client: Any) -> Any:
        raise NotImplementedError

    def change(self) -> None:
        """Makes a change upstream that Backbone turns into `event_type`."""
        raise NotImplementedError

    def webhooks(self) -> list[Webhook]:
        """The signed deliveries the provider sends for what changed since the last call."""
        raise NotImplementedError

    def break_credentials(self) -> None:
        """The provider stops accepting Backbone's credentials (revoked, app removed)."""
        raise NotImplementedError

    def notes(self, job_id: str) -> list[str]:
        """The notes on a job upstream (field-service systems only)."""
        raise NotImplementedError

    def still_connected_upstream(self) -> bool:
        """Whether the provider still holds a grant for Backbone (after a disconnect it must not)."""
        return False  # credentials providers: the company deletes the key or client itself


class JobberKit(Kit):
    emulator: JobberEmulator

    def __init__(self) -> None:
        super().__init__("jobber", JobberEmulator(), "job_completed", EventType.JOB_COMPLETED,
                         "X-Jobber-Hmac-SHA256", JOBBER_ACCOUNT)

    def app(self) -> ProviderApp:
        return self.emulator.provider_app()

    def reset(self) -> None:
        self.emulator.reset()

    def connect(self, client: Any) -> Any:
        return oauth_install(client, "jobber")

    def change(self) -> None:
        emu = self.emulator
        tech = emu.add_user("Tess Tran", "tess@example.com")
        customer = emu.add_client("Ann Lee", email="ann@example.com", phone="+15125550100")
        job = emu.create_job(customer, "No heat", visits=[(_tomorrow(15), _tomorrow(17), [tech])])
        emu.complete_visit(job.visit_ids[0])
        emu.close_job(job.id)

    def webhooks(self) -> list[Webhook]:
        with self.emulator.lock:
            pending, self.emulator.outbox = self.emulator.outbox, []
        return [self.emulator.webhook(e.topic, e.item_id, account_id=e.account_id, occurred_at=e.occurred_at)
                for e in pending]

    def disconnect_webhook(self) -> Webhook:
        return self.emulator.webhook("APP_DISCONNECT", self.emulator.app_id, account_id=self.account_id)

    def break_credentials(self) -> None:
        self.emulator.oauth.revoke_all(self.account_id)

    def notes(self, job_id: str) -> list[str]:
        return [n["message"] for n in self.emulator.jobs[job_id].notes]


class QuickBooksKit(Kit):
    emulator: QuickBooksEmulator

    def __init__(self) -> None:
        emulator = QuickBooksEmulator()
        super().__init__("quickbooks", emulator, "invoice_paid", EventType.INVOICE_PAID, "intuit-signature",
                         emulator.realm)

    def app(self) -> ProviderApp:
        url = self.emulator.url
        return QuickBooksApp(client_id="qb-client", client_secret="qb-secret",
                             webhook_secret=self.emulator.verifier_token, api_url=url,
                             authorize_url=url + "/connect/oauth2", token_url=url + "/oauth2/v1/tokens/bearer",
                             revoke_url=url + "/oauth2/v1/tokens/revoke")

    def reset(self) -> None:
        self.emulator.reset()

    def connect(self, client: Any) -> Any:
        return oauth_install(client, "quickbooks")

    def change(self) -> None:
        customer = self.emulator.add_customer("Ann Lee", "ann@example.com")
        invoice = self.emulator.add_invoice(customer["Id"], 250.0)
        self.emulator.pay_invoice(invoice["Id"])

    def webhooks(self) -> list[Webhook]:
        changes = self.emulator.take_changes()
        return [self.emulator.webhook(changes)] if changes else []

    def break_credentials(self) -> None:
        self.emulator.oauth.revoke_all(self.account_id)

    def still_connected_upstream(self) -> bool:
        return bool(self.emulator.oauth.valid_refresh_tokens(self.account_id))


class ServiceTitanKit(Kit):
    emulator: ServiceTitanEmulator
    CLIENT_ID, CLIENT_SECRET = "st-tenant-client", "st-tenant-secret"

    def __init__(self) -> None:
        super().__init__("servicetitan", ServiceTitanEmulator(), "job_completed", EventType.JOB_COMPLETED,
                         "X-ServiceTitan-Signature", "1049381")

    def app(self) -> ProviderApp:
        return ServiceTitanApp(api_url=self.emulator.url, token_url=self.emulator.url + TOKEN_PATH,
                               app_key=DEFAULT_APP_KEY, webhook_secret=DEFAULT_HMAC_KEY, client_id="backbone-app")

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.add_tenant(self.account_id, client_id=self.CLIENT_ID, client_secret=self.CLIENT_SECRET)
        self.changed = []

    def connect(self, client: Any) -> Any:
        return credentials_install(client, "servicetitan", {
            "tenant_id": self.account_id, "client_id": self.CLIENT_ID, "client_secret": self.CLIENT_SECRET})

    def change(self) -> None:
        emu, tenant = self.emulator, self.account_id
        tech = emu.add_technician(tenant, "Tess Tran")
        customer = emu.add_customer(tenant, "Ann Lee")
        job = emu.add_job(tenant, customer, start=_tomorrow(15), end=_tomorrow(17), technician_id=tech)
        emu.set_status(tenant, job, "Completed")
        self.changed.append(emu.webhook("job.completed", job, tenant_id=tenant, event_id=str(uuid.uuid4())))

    def webhooks(self) -> list[Webhook]:
        pending, self.changed = self.changed, []
        return pending

    def break_credentials(self) -> None:
        self.emulator.oauth.credential_clients.pop(self.account_id, None)
        self.emulator.oauth.revoke_all(self.account_id)

    def notes(self, job_id: str) -> list[str]:
        return [n["text"] for n in self.emulator.notes(self.account_id, int(job_id))]


class HousecallProKit(Kit):
    emulator: HousecallProEmulator
    API_KEY = "hcp-company-key-1"

    def __init__(self) -> None:
        super().__init__("housecallpro", HousecallProEmulator(), "job_completed", EventType.JOB_COMPLETED,
                         "Api-Signature", "comp_7f3a")

    def app(self) -> ProviderApp:
        return HousecallProApp(api_url=self.emulator.url, webhook_secret=HCP_SECRET)

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.add_company(self.account_id, api_key=self.API_KEY)
        self.changed = []

    def connect(self, client: Any) -> Any:
        return credentials_install(client, "housecallpro", {"api_key": self.API_KEY})

    def change(self) -> None:
        emu, company = self.emulator, self.account_id
        pro = emu.add_employee(company, "Tess", "Tran")
        customer = emu.add_customer(company, "Ann", "Lee")
        job = emu.add_job(company, customer, start=_tomorrow(15), end=_tomorrow(17), employee_ids=[pro])
        emu.finish_job(company, job)
        self.changed.append(emu.webhook("job.completed", job, company_id=company))

    def webhooks(self) -> list[Webhook]:
        pending, self.changed = self.changed, []
        return pending

    def break_credentials(self) -> None:
        self.emulator.api_keys.pop(self.API_KEY, None)

    def notes(self, job_id: str) -> list[str]:
        return [n["content"] for n in self.emulator.notes(self.account_id, job_id)]


KITS = (JobberKit, QuickBooksKit, ServiceTitanKit, HousecallProKit)
