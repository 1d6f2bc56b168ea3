"""A Housecall Pro emulator: company API keys, the v1 jobs/company/customers API, signed fat webhooks.

What it speaks (see `connector.providers.housecallpro` for the sources and the assumptions):

* Every API route takes ``Authorization: Token <api key>``; an unknown key gets
  ``401 {"message": "Unauthorized"}``. The key says which company the call is for.
* ``GET /jobs`` pages with ``page``/``page_size``, sorts by ``sort_by`` (``created_at``,
  ``updated_at``, ...) and ``sort_direction`` (``desc`` by default) and answers
  ``{"page", "page_size", "total_pages", "total_items", "jobs"}``; money is in cents.
* Webhooks: `webhook` builds ``{"id", "event", "created_at", "company_id", "data"}`` with
  ``Api-Timestamp`` (Unix seconds) and ``Api-Signature`` = hex HMAC-SHA256 of
  ``"{timestamp}.{body}"`` under the signing secret (the raw body alone when the emulator has
  no timestamp header; unsigned when it has no secret).

Helpers change jobs the way a technician's phone does (on my way, start, finish) and bump
``updated_at`` by at least a second each time (Housecall Pro writes whole seconds).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from flask import jsonify, request

from tests.emulators.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from flask import Response

DEFAULT_SECRET = "hcp-signing-secret-0123456789abcdef"


def hcp_time(moment: datetime | None) -> str | None:
    """A timestamp as Housecall Pro writes it: UTC, whole seconds, with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Company:
    """One Housecall Pro company's data."""

    id: str
    name: str
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)


class HousecallProEmulator(Emulator):
    """Housecall Pro on 127.0.0.1 (see the module docstring).

    Args:
        signing_secret: The webhook signing secret; None sends deliveries unsigned.
        signature_header: Where the signature goes.
        timestamp_header: The header whose value is signed before the body; "" signs the body alone.
    """

    def __init__(self, *, signing_secret: str | None = DEFAULT_SECRET, signature_header: str = "Api-Signature",
                 timestamp_header: str = "Api-Timestamp") -> None:
        super().__init__("housecallpro")
        self._defaults = (signing_secret, signature_header, timestamp_header)
        self.signing_secret, self.signature_header, self.timestamp_header = self._defaults
        self.companies: dict[str, Company] = {}
        self.api_keys: dict[str, str] = {}
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._last_stamp = datetime.min.replace(tzinfo=UTC)
        self._data_lock = threading.RLock()
        self._routes()

    def reset(self) -> None:
        """Forgets every company, key, fault and logged request (one running emulator, many tests)."""
        with self.lock:
            self.faults.clear()
            self.seen.clear()
        self.companies.clear()
        self.api_keys.clear()
        self.signing_secret, self.signature_header, self.timestamp_header = self._defaults

    # -- test helpers: data ------------------------------------------------------------------
    def stamp(self) -> datetime:
        """Now in whole seconds, at least a second after every earlier stamp (a new version)."""
        with self._data_lock:
            now = max(self.clock().replace(microsecond=0), self._last_stamp + timedelta(seconds=1))
            self._last_stamp = now
            return now

    def add_company(self, company_id: str, *, api_key: str, name: str = "Bright Plumbing") -> Company:
        company = Company(id=company_id, name=name)
        self.companies[company_id] = company
        self.api_keys[api_key] = company_id
        return company

    def _company(self, company_id: str | None) -> Company:
        return self.companies[company_id] if company_id else next(iter(self.companies.values()))

    def add_employee(self, company_id: str, first_name: str, last_name: str) -> str:
        company = self._company(company_id)
        employee_id = f"pro_{uuid.uuid4().hex}"
        company.employees[employee_id] = {
            "id": employee_id, "first_name": first_name, "last_name": last_name,
            "email": f"{first_name.lower()}@example.com", "mobile_number": "5550100", "color_hex": "EF9159",
            "avatar_url": "/assets/add_image_thumb.png", "role": "field tech", "tags": [], "permissions": {},
            "company_name": company.name, "company_id": company.id,
        }
        return employee_id

    def add_customer(self, company_id: str, first_name: str, last_name: str, *,
                     email: str = "pat@example.com", mobile_number: str = "5550199") -> str:
        company = self._company(company_id)
        customer_id, now = f"cus_{uuid.uuid4().hex}", hcp_time(self.stamp())
        company.customers[customer_id] = {
            "id": customer_id, "first_name": first_name, "last_name": last_name, "email": email,
            "mobile_number": mobile_number, "home_number": None, "work_number": None, "company": None,
            "notifications_enabled": True, "lead_source": None, "notes": None, "created_at": now,
            "updated_at": now, "company_name": company.name, "company_id": company.id, "tags": [],
            "addresses": [{"id": f"adr_{uuid.uuid4().hex}", "type": "service", "street": "12 E 8th St",
                           "street_line_2": "Apt 3", "city": "Chicago", "state": "IL", "zip": "60605",
                           "country": "US"}],
        }
        return customer_id

    def add_job(self, company_id: str, customer_id: str, *, start: datetime | None = None,
                end: datetime | None = None, employee_ids: Iterable[str] = (), description: str = "Leaky faucet",
                total_amount: int = 0) -> str:
        """A job: scheduled when it has a start, else "needs scheduling"."""
        company = self._company(company_id)
        job_id, now = f"job_{uuid.uuid4().hex}", hcp_time(self.stamp())
        customer = company.customers[customer_id]
        company.jobs[job_id] = {
            "id": job_id, "invoice_number": str(1000 + len(company.jobs)), "description": description,
            "customer": {k: v for k, v in customer.items() if k != "addresses"},
            "address": dict(customer["addresses"][0]), "notes": [],
            "work_status": "scheduled" if start else "needs scheduling",
            "work_timestamps": {"on_my_way_at": None, "started_at": None, "completed_at": None},
            "schedule": {"scheduled_start": hcp_time(start), "scheduled_end": hcp_time(end), "arrival_window": 0,
                         "appointments": []},
            "total_amount": total_amount, "outstanding_balance": total_amount, "subtotal": total_amount,
            "assigned_employees": [company.employees[e] for e in employee_ids], "tags": [],
            "original_estimate_id": None, "lead_source": None,
            "job_fields": {"job_type": {"id": "jbt_1", "name": "Repair"}, "business_unit": None},
            "created_at": now, "updated_at": now, "canceled_at": None, "deleted_at": None,
            "company_name": company.name, "company_id": company.id,
        }
        return job_id

    def update_job(self, company_id: str, job_id: str, **fields: Any) -> dict[str, Any]:
        """Changes job fields (Housecall Pro names) and bumps ``updated_at``."""
        job = self._company(company_id).jobs[job_id]
        job.update(fields)
        job["updated_at"] = hcp_time(self.stamp())
        return job

    def schedule(self, company_id: str, job_id: str, *, start: datetime, end: datetime) -> None:
        job = self._company(company_id).jobs[job_id]
        self.update_job(company_id, job_id, work_status="scheduled",
                        schedule={**job["schedule"], "scheduled_start": hcp_time(start),
                                  "scheduled_end": hcp_time(end)})

    def _stamp_work(self, company_id: str, job_id: str, key: str, status: str) -> None:
        job = self._company(company_id).jobs[job_id]
        now = self.stamp()
        job["work_timestamps"] = {**job["work_timestamps"], key: hcp_time(now)}
        job["work_status"] = status
        job["updated_at"] = hcp_time(now)

    def on_my_way(self, company_id: str, job_id: str) -> None:
        self._stamp_work(company_id, job_id, "on_my_way_at", "scheduled")

    def start_job(self, company_id: str, job_id: str) -> None:
        self._stamp_work(company_id, job_id, "started_at", "in progress")

    def finish_job(self, company_id: str, job_id: str) -> None:
        self._stamp_work(company_id, job_id, "completed_at", "complete unrated")

    def cancel_job(self, company_id: str, job_id: str) -> None:
        now = hcp_time(self.stamp())
        self._company(company_id).jobs[job_id].update(work_status="pro canceled", canceled_at=now, updated_at=now)

    def add_invoice(self, company_id: str, job_id: str, *, amount: int, due_amount: int | None = None) -> str:
        company = self._company(company_id)
        invoice_id, now = f"invoice_{uuid.uuid4().hex}", self.stamp()
        company.invoices[invoice_id] = {
            "id": invoice_id, "job_id": job_id, "invoice_number": company.jobs[job_id]["invoice_number"],
            "status": "open", "amount": amount, "subtotal": amount,
            "due_amount": amount if due_amount is None else due_amount, "due_at": hcp_time(now + timedelta(days=14)),
            "paid_at": None, "sent_at": None, "service_date": hcp_time(now), "invoice_date": hcp_time(now),
            "updated_at": hcp_time(now), "items": [], "taxes": [], "discounts": [], "payments": [],
            "company_id": company.id,
        }
        return invoice_id

    def send_invoice(self, company_id: str, invoice_id: str) -> None:
        now = hcp_time(self.stamp())
        self._company(company_id).invoices[invoice_id].update(status="sent", sent_at=now, updated_at=now)

    def pay_invoice(self, company_id: str, invoice_id: str) -> None:
        now = hcp_time(self.stamp())
        self._company(company_id).invoices[invoice_id].update(status="paid", paid_at=now, due_amount=0,
                                                                   updated_at=now)

    def notes(self, company_id: str, job_id: str) -> list[dict[str, Any]]:
        return list(self._company(company_id).jobs[job_id]["notes"])

    # -- test helpers: webhooks --------------------------------------------------------------
    def webhook(self, topic: str, item_id: str, *, company_id: str | None = None,
                event_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """The headers and raw body Housecall Pro POSTs for `topic` about item `item_id`."""
        company = self._company(company_id)
        entity = topic.split(".", 1)[0]
        source = {"job": company.jobs, "invoice": company.invoices, "customer": company.customers}.get(entity, {})
        body = json.dumps({
            "id": event_id or f"evt_{uuid.uuid4().hex}", "event": topic, "created_at": hcp_time(self.clock()),
            "company_id": company.id, "data": dict(source.get(item_id) or {"id": item_id}),
        }).encode()
        headers = {"Content-Type": "application/json"}
        if self.signing_secret is not None:
            timestamp = str(int(self.clock().timestamp()))
            message = body
            if self.timestamp_header:
                headers[self.timestamp_header] = timestamp
                message = timestamp.encode() + b"." + body
            headers[self.signature_header] = hmac.new(self.signing_secret.encode(), message,
                                                      hashlib.sha256).hexdigest()
        return headers, body

    def send_webhook(self, url: str, topic: str, item_id: str, *, company_id: str | None = None,
                     timeout: float = 5.0) -> requests.Response:
        """POSTs the delivery of `webhook` to `url`, as Housecall Pro's sender does."""
        headers, body = self.webhook(topic, item_id, company_id=company_id)
        return requests.post(url, data=body, headers=headers, timeout=timeout)

    # -- HTTP -------------------------------------------------------------------------------
    def _routes(self) -> None:
        rule = self.app.add_url_rule
        rule("/company", "company", self._get_company, methods=["GET"])
        rule("/jobs", "jobs", self._jobs, methods=["GET"])
        rule("/jobs/<job_id>", "job", self._job, methods=["GET"])
        rule("/jobs/<job_id>/notes", "job_notes", self._add_note, methods=["POST"])
        rule("/jobs/<job_id>/invoices", "job_invoices", self._job_invoices, methods=["GET"])
        rule("/customers/<customer_id>", "customer", self._customer, methods=["GET"])

    def _caller(self) -> Company | tuple[Response, int]:
        auth = request.headers.get("Authorization", "")
        company_id = self.api_keys.get(auth[6:]) if auth.startswith("Token ") else None
        if company_id is None:
            return jsonify(message="Unauthorized"), 401
        return self.companies[company_id]

    @staticmethod
    def _not_found(what: str) -> tuple[Response, int]:
        return jsonify(error={"message": f"{what} not found"}), 404

    def _get_company(self) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        return jsonify(id=company.id, name=company.name, support_email="office@example.com",
                       phone_number="5550100", logo_url=None, website=None, default_arrival_window="60",
                       time_zone="America/Chicago", locations=[])

    def _jobs(self) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        sort_by = request.args.get("sort_by", "created_at")
        if sort_by not in ("created_at", "updated_at", "invoice_number", "id", "description", "work_status"):
            return jsonify(message=f"sort_by {sort_by} is not supported"), 400
        rows = sorted(company.jobs.values(), key=lambda job: (str(job[sort_by]), job["id"]),
                      reverse=request.args.get("sort_direction", "desc") == "desc")
        if request.args.get("customer_id"):
            rows = [job for job in rows if job["customer"]["id"] == request.args["customer_id"]]
        page = max(int(request.args.get("page", 1)), 1)
        size = min(max(int(request.args.get("page_size", 10)), 1), 200)
        return jsonify(page=page, page_size=size, total_pages=math.ceil(len(rows) / size),
                       total_items=len(rows), jobs=rows[(page - 1) * size: page * size])

    def _job(self, job_id: str) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        job = company.jobs.get(job_id)
        return jsonify(job) if job is not None else self._not_found("job")

    def _job_invoices(self, job_id: str) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        if job_id not in company.jobs:
            return self._not_found("job")
        return jsonify(invoices=[i for i in company.invoices.values() if i["job_id"] == job_id])

    def _customer(self, customer_id: str) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        customer = company.customers.get(customer_id)
        return jsonify(customer) if customer is not None else self._not_found("customer")

    def _add_note(self, job_id: str) -> Any:
        company = self._caller()
        if not isinstance(company, Company):
            return company
        job = company.jobs.get(job_id)
        if job is None:
            return self._not_found("job")
        content = (request.get_json(silent=True) or {}).get("content")
        if not isinstance(content, str) or not content.strip():
            return jsonify(errors={"content": ["is missing"]}), 422
        note = {"id": f"nte_{uuid.uuid4().hex}", "content": content}
        job["notes"].append(note)
        job["updated_at"] = hcp_time(self.stamp())
        return jsonify(note), 201
