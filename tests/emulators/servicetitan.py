"""A ServiceTitan emulator: client-credentials tokens, the v2 JPM/dispatch/CRM/accounting API, V2 webhooks.

What it speaks (see `connector.providers.servicetitan` for the sources and the assumptions):

* ``POST /connect/token`` - OAuth 2 client credentials (client id and secret in the form), one
  client per tenant (`add_tenant`), 15-minute access tokens, no refresh token.
* Every API route checks ``ST-App-Key`` (401 without the emulator's key), the bearer token (401
  when unknown or expired) and that the token's tenant is the path's (403 otherwise).
* Lists answer ``{"page", "pageSize", "hasMore", "totalCount", "data"}`` and filter by
  ``modifiedOnOrAfter``, ``jobId``, ``ids``, ``appointmentIds``.
* Webhooks: `webhook` builds a delivery ``{"eventId", "eventType", "tenantId", "createdOn", "data"}``
  signed with HMAC-SHA256 of the raw body under the app's HMAC key, in ``signature_header``
  (base64 or hex); with no key the delivery carries no signature (ServiceTitan's key is optional).

Test helpers change the in-memory data and bump ``modifiedOn`` like ServiceTitan does, so a test
can make a change and either send its webhook or "lose" it and find it with the catch-up sync.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from flask import jsonify, request

from tests.emulators.oauth import OAuthServer
from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from flask import Response

TOKEN_PATH = "/connect/token"
DEFAULT_APP_KEY = "ak1.test-app-key"
DEFAULT_HMAC_KEY = "st-hmac-key-0123456789abcdef0123456789abcdef"


def st_time(moment: datetime | None) -> str | None:
    """A timestamp as ServiceTitan writes it: UTC with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Tenant:
    """One ServiceTitan tenant's data (ids are ServiceTitan's int64s)."""

    id: str
    name: str
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    appointments: dict[int, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    technicians: dict[int, str] = field(default_factory=dict)
    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class ServiceTitanEmulator(Emulator):
    """ServiceTitan on 127.0.0.1 (see the module docstring).

    Args:
        app_key: The ``ST-App-Key`` Backbone's app must send.
        hmac_key: The app's webhook HMAC key; None sends deliveries unsigned.
        signature_header: Where the signature goes.
        signature_encoding: ``base64`` or ``hex``.
        access_ttl: Access-token lifetime in seconds.
    """

    def __init__(self, *, app_key: str = DEFAULT_APP_KEY, hmac_key: str | None = DEFAULT_HMAC_KEY,
                 signature_header: str = "X-ServiceTitan-Signature", signature_encoding: str = "base64",
                 access_ttl: int = 900) -> None:
        super().__init__("servicetitan")
        self.app_key = app_key
        self.hmac_key = hmac_key
        self.signature_header = signature_header
        self.signature_encoding = signature_encoding
        self.oauth = OAuthServer(client_id="", client_secret="", access_ttl=access_ttl, rotate_refresh=False)
        self.oauth.install(self.app, authorize_path=None, token_path=TOKEN_PATH)
        self.tenants: dict[str, Tenant] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._last_stamp = datetime.min.replace(tzinfo=UTC)
        self._next_id = 1000
        self._data_lock = threading.RLock()
        self._defaults = (hmac_key, signature_header, signature_encoding)
        self._routes()

    def reset(self) -> None:
        """Forgets every tenant, token, fault and logged request (one running emulator, many tests)."""
        with self.lock:
            self.faults.clear()
            self.seen.clear()
        self.tenants.clear()
        self.oauth.tokens.clear()
        self.oauth.credential_clients.clear()
        self.oauth.token_calls = 0
        self.hmac_key, self.signature_header, self.signature_encoding = self._defaults

    # -- test helpers: data ------------------------------------------------------------------
    def stamp(self) -> datetime:
        """Now, strictly after every earlier stamp (each change is a new version)."""
        with self._data_lock:
            now = max(self.clock(), self._last_stamp + timedelta(microseconds=1000))
            self._last_stamp = now
            return now

    def _id(self) -> int:
        with self._data_lock:
            self._next_id += 1
            return self._next_id

    def add_tenant(self, tenant_id: str, *, client_id: str, client_secret: str, name: str = "Acme Heating") -> Tenant:
        """A tenant that connected the app: its client-credentials pair gets tokens for it."""
        tenant = Tenant(id=tenant_id, name=name)
        self.tenants[tenant_id] = tenant
        self.oauth.credential_clients[tenant_id] = (client_id, client_secret)
        return tenant

    def token_for(self, tenant_id: str) -> str:
        """A valid access token for a tenant, minted directly (no HTTP)."""
        return self.oauth._issue(tenant_id, refresh=False).access_token

    def add_technician(self, tenant_id: str, name: str) -> int:
        tech_id = self._id()
        self.tenants[tenant_id].technicians[tech_id] = name
        return tech_id

    def add_customer(self, tenant_id: str, name: str, *, street: str = "12 Elm St", city: str = "Springfield",
                     state: str = "IL", zip_code: str = "62701", latitude: float | None = 39.78,
                     longitude: float | None = -89.65) -> int:
        customer_id = self._id()
        now = st_time(self.stamp())
        self.tenants[tenant_id].customers[customer_id] = {
            "id": customer_id, "active": True, "name": name, "type": "Residential",
            "address": {"street": street, "unit": None, "city": city, "state": state, "zip": zip_code,
                        "country": "USA", "latitude": latitude, "longitude": longitude},
            "customFields": [], "balance": 0.0, "doNotMail": False, "doNotService": False,
            "createdOn": now, "createdById": 1, "modifiedOn": now, "mergedToId": None,
        }
        return customer_id

    def add_job(self, tenant_id: str, customer_id: int, *, start: datetime, end: datetime,
                technician_id: int | None = None, summary: str = "No heat", priority: str = "Normal") -> int:
        """A booked job with one Scheduled appointment (and its technician, if given)."""
        tenant = self.tenants[tenant_id]
        job_id, appointment_id = self._id(), self._id()
        now = self.stamp()
        tenant.jobs[job_id] = {
            "id": job_id, "jobNumber": str(job_id), "customerId": customer_id, "locationId": customer_id,
            "jobStatus": "Scheduled", "completedOn": None, "businessUnitId": 1, "jobTypeId": 1,
            "priority": priority, "campaignId": 1, "summary": summary, "customFields": [],
            "appointmentCount": 1, "firstAppointmentId": appointment_id, "lastAppointmentId": appointment_id,
            "recallForId": None, "warrantyId": None, "noCharge": False, "notificationsEnabled": True,
            "createdOn": st_time(now), "createdById": 1, "modifiedOn": st_time(now), "tagTypeIds": [],
            "externalData": [],
        }
        tenant.appointments[appointment_id] = {
            "id": appointment_id, "jobId": job_id, "appointmentNumber": f"{job_id}-1",
            "start": st_time(start), "end": st_time(end), "arrivalWindowStart": None, "arrivalWindowEnd": None,
            "status": "Scheduled", "specialInstructions": None, "createdOn": st_time(now),
            "modifiedOn": st_time(now), "customerId": customer_id, "unused": False,
        }
        if technician_id is not None:
            self._assign(tenant, job_id, appointment_id, technician_id, now)
        return job_id

    def _assign(self, tenant: Tenant, job_id: int, appointment_id: int, technician_id: int, now: datetime) -> None:
        assignment_id = self._id()
        tenant.assignments[assignment_id] = {
            "id": assignment_id, "technicianId": technician_id, "technicianName": tenant.technicians[technician_id],
            "assignedById": 1, "assignedOn": st_time(now), "status": "Scheduled", "isPaused": False,
            "jobId": job_id, "appointmentId": appointment_id, "active": True,
        }

    def update_job(self, tenant_id: str, job_id: int, **fields: Any) -> dict[str, Any]:
        """Changes job fields (ServiceTitan names) and bumps ``modifiedOn``."""
        job = self.tenants[tenant_id].jobs[job_id]
        job.update(fields)
        job["modifiedOn"] = st_time(self.stamp())
        return job

    def set_status(self, tenant_id: str, job_id: int, status: str) -> None:
        """Moves a job (and its appointment) on: Dispatched, InProgress, Completed, Canceled, Hold."""
        tenant = self.tenants[tenant_id]
        job = tenant.jobs[job_id]
        visit = {"Dispatched": "Dispatched", "InProgress": "Working", "Completed": "Done", "Canceled": "Canceled",
                 "Hold": "Hold", "Scheduled": "Scheduled"}[status]
        now = self.stamp()
        job["jobStatus"] = status
        if status == "Completed":
            job["completedOn"] = st_time(now)
        job["modifiedOn"] = st_time(now)
        appointment = tenant.appointments[job["lastAppointmentId"]]
        appointment["status"] = visit
        appointment["modifiedOn"] = st_time(now)
        for assignment in tenant.assignments.values():
            if assignment["appointmentId"] == appointment["id"]:
                assignment["status"] = {"Working": "Working", "Done": "Done"}.get(visit, assignment["status"])

    def reschedule(self, tenant_id: str, job_id: int, *, start: datetime, end: datetime) -> None:
        """Moves the job's appointment; only the appointment's ``modifiedOn`` changes (as in ServiceTitan)."""
        tenant = self.tenants[tenant_id]
        appointment = tenant.appointments[tenant.jobs[job_id]["lastAppointmentId"]]
        appointment.update(start=st_time(start), end=st_time(end), modifiedOn=st_time(self.stamp()))

    def add_invoice(self, tenant_id: str, job_id: int, *, total: str, balance: str | None = None) -> int:
        tenant = self.tenants[tenant_id]
        job = tenant.jobs[job_id]
        customer = tenant.customers[job["customerId"]]
        invoice_id, now = self._id(), self.stamp()
        tenant.invoices[invoice_id] = {
            "id": invoice_id, "syncStatus": "Pending", "summary": job["summary"],
            "referenceNumber": f"INV-{invoice_id}",
            "invoiceDate": st_time(now), "dueDate": st_time(now + timedelta(days=30)), "subTotal": total,
            "salesTax": "0.00", "total": total, "balance": balance if balance is not None else total,
            "customer": {"id": customer["id"], "name": customer["name"]},
            "job": {"id": job_id, "number": job["jobNumber"], "type": "Service"},
            "modifiedOn": st_time(now), "items": [], "customFields": [],
        }
        return invoice_id

    def pay_invoice(self, tenant_id: str, invoice_id: int) -> None:
        invoice = self.tenants[tenant_id].invoices[invoice_id]
        invoice.update(balance="0.00", modifiedOn=st_time(self.stamp()))

    def notes(self, tenant_id: str, job_id: int) -> list[dict[str, Any]]:
        return list(self.tenants[tenant_id].notes.get(job_id, []))

    # -- test helpers: webhooks --------------------------------------------------------------
    def webhook(self, topic: str, item_id: int, *, tenant_id: str | None = None,
                event_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and raw body ServiceTitan POSTs for `topic` about item `item_id`."""
        tenant = self.tenants[tenant_id] if tenant_id else next(iter(self.tenants.values()))
        entity = topic.split(".", 1)[0].lower()
        source = {"job": tenant.jobs, "appointment": tenant.appointments, "invoice": tenant.invoices}.get(entity)
        data = dict(source[item_id]) if source is not None else {"id": item_id}
        body = json.dumps({
            "eventId": event_id or str(uuid.uuid4()), "eventType": topic, "tenantId": int(tenant.id),
            "createdOn": st_time(self.stamp()), "data": data,
        }).encode()
        headers = {"Content-Type": "application/json"}
        if self.hmac_key is not None:
            digest = hmac.new(self.hmac_key.encode(), body, hashlib.sha256).digest()
            headers[self.signature_header] = (
                base64.b64encode(digest).decode() if self.signature_encoding == "base64" else digest.hex()
            )
        return headers, body

    def send_webhook(self, url: str, topic: str, item_id: int, *, tenant_id: str | None = None,
                     timeout: float = 5.0) -> requests.Response:
        """POSTs the delivery of `webhook` to `url`, as ServiceTitan's sender does."""
        headers, body = self.webhook(topic, item_id, tenant_id=tenant_id)
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    # -- HTTP -------------------------------------------------------------------------------
    def _routes(self) -> None:
        rule = self.app.add_url_rule
        base = "/<service>/v2/tenant/<tenant_id>"
        rule(f"{base}/jobs/<int:job_id>", "job", self._job, methods=["GET"])
        rule(f"{base}/jobs", "jobs", self._jobs, methods=["GET"])
        rule(f"{base}/jobs/<int:job_id>/notes", "job_notes", self._add_note, methods=["POST"])
        rule(f"{base}/appointments", "appointments", self._appointments, methods=["GET"])
        rule(f"{base}/appointment-assignments", "assignments", self._assignments, methods=["GET"])
        rule(f"{base}/customers/<int:customer_id>", "customer", self._customer, methods=["GET"])
        rule(f"{base}/invoices", "invoices", self._invoices, methods=["GET"])
        rule(f"{base}/business-units", "business_units", self._business_units, methods=["GET"])

    @staticmethod
    def _problem(status: int, title: str) -> tuple[Response, int]:
        return jsonify(type="https://tools.ietf.org/html/rfc7231", title=title, status=status,
                       traceId=uuid.uuid4().hex), status

    def _guard(self, service: str, tenant_id: str, expected: str) -> tuple[Response, int] | Tenant:
        if service != expected:
            return self._problem(404, "Not Found")
        if request.headers.get("ST-App-Key") != self.app_key:
            return self._problem(401, "Application key not present or not valid")
        auth = request.headers.get("Authorization", "")
        account = self.oauth.valid_access(auth[7:]) if auth.startswith("Bearer ") else None
        if account is None:
            return self._problem(401, "Unauthorized")
        tenant = self.tenants.get(tenant_id)
        if tenant is None or account != tenant_id:
            return self._problem(403, "The application is not connected to this tenant")
        return tenant

    def _page(self, items: Iterable[dict[str, Any]]) -> Response:
        rows = sorted(items, key=lambda item: item["id"])
        page = max(int(request.args.get("page", 1)), 1)
        size = min(max(int(request.args.get("pageSize", 50)), 1), 5000)
        chunk = rows[(page - 1) * size: page * size]
        total = len(rows) if request.args.get("includeTotal", "").lower() == "true" else None
        return jsonify(page=page, pageSize=size, hasMore=page * size < len(rows), totalCount=total, data=chunk)

    @staticmethod
    def _filtered(items: Iterable[dict[str, Any]], **equal: str) -> list[dict[str, Any]]:
        rows = list(items)
        since = request.args.get("modifiedOnOrAfter")
        if since:
            floor = _parse_time(since)
            rows = [r for r in rows if _parse_time(r["modifiedOn"]) >= floor]
        if request.args.get("ids"):
            wanted = {int(i) for i in request.args["ids"].split(",") if i.strip()}
            rows = [r for r in rows if r["id"] in wanted]
        for arg, key in equal.items():
            if request.args.get(arg):
                values = {int(i) for i in request.args[arg].split(",") if i.strip()}
                rows = [r for r in rows if r.get(key) in values]
        return rows

    def _job(self, service: str, tenant_id: str, job_id: int) -> Any:
        tenant = self._guard(service, tenant_id, "jpm")
        if not isinstance(tenant, Tenant):
            return tenant
        job = tenant.jobs.get(job_id)
        return jsonify(job) if job is not None else self._problem(404, f"Job with ID {job_id} not found")

    def _jobs(self, service: str, tenant_id: str) -> Any:
        tenant = self._guard(service, tenant_id, "jpm")
        if not isinstance(tenant, Tenant):
            return tenant
        return self._page(self._filtered(tenant.jobs.values()))

    def _appointments(self, service: str, tenant_id: str) -> Any:
        tenant = self._guard(service, tenant_id, "jpm")
        if not isinstance(tenant, Tenant):
            return tenant
        return self._page(self._filtered(tenant.appointments.values(), jobId="jobId"))

    def _assignments(self, service: str, tenant_id: str) -> Any:
        tenant = self._guard(service, tenant_id, "dispatch")
        if not isinstance(tenant, Tenant):
            return tenant
        rows = self._filtered_plain(tenant.assignments.values(), jobId="jobId", appointmentIds="appointmentId")
        return self._page(rows)

    @staticmethod
    def _filtered_plain(items: Iterable[dict[str, Any]], **equal: str) -> list[dict[str, Any]]:
        rows = list(items)
        for arg, key in equal.items():
            if request.args.get(arg):
                values = {int(i) for i in request.args[arg].split(",") if i.strip()}
                rows = [r for r in rows if r.get(key) in values]
        return rows

    def _customer(self, service: str, tenant_id: str, customer_id: int) -> Any:
        tenant = self._guard(service, tenant_id, "crm")
        if not isinstance(tenant, Tenant):
            return tenant
        customer = tenant.customers.get(customer_id)
        return jsonify(customer) if customer is not None else self._problem(404, "Customer not found")

    def _invoices(self, service: str, tenant_id: str) -> Any:
        tenant = self._guard(service, tenant_id, "accounting")
        if not isinstance(tenant, Tenant):
            return tenant
        return self._page(self._filtered(tenant.invoices.values()))

    def _business_units(self, service: str, tenant_id: str) -> Any:
        tenant = self._guard(service, tenant_id, "settings")
        if not isinstance(tenant, Tenant):
            return tenant
        unit = {"id": 1, "active": True, "name": "HVAC Service", "officialName": f"{tenant.name} HVAC",
                "tenant": {"id": int(tenant.id), "name": tenant.name, "accountCode": tenant.id},
                "modifiedOn": st_time(self.clock())}
        return self._page([unit])

    def _add_note(self, service: str, tenant_id: str, job_id: int) -> Any:
        tenant = self._guard(service, tenant_id, "jpm")
        if not isinstance(tenant, Tenant):
            return tenant
        if job_id not in tenant.jobs:
            return self._problem(404, f"Job with ID {job_id} not found")
        body = request.get_json(silent=True) or {}
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return jsonify(title="One or more validation errors occurred.", status=400,
                           errors={"Text": ["The Text field is required."]}), 400
        now = st_time(self.stamp())
        note = {"text": text, "isPinned": bool(body.get("pinToTop")), "createdById": 1, "createdOn": now,
                "modifiedOn": now}
        tenant.notes.setdefault(job_id, []).append(note)
        return jsonify(note)
