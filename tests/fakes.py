"""In-memory implementations of the actions.context protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from actions.context import (
    AccountingReceipt,
    ConsentDecision,
    Context,
    InvoiceDraft,
    RateCard,
    SentInvoice,
    StoredInvoice,
)
from actions.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from actions.capture import CaptureDraft, JobCompletion, JobForm, StoredCapture
    from actions.context import (
        ContractTerms,
        CustomerFilter,
        CustomerRecord,
        JobFilter,
        MailContact,
        PostcardBatchDraft,
        PurchaseOrderDraft,
        SearchContext,
        StockLevel,
        StockOrder,
        StoredContract,
        StoredVisit,
        TechnicianFilter,
        TechnicianRecord,
        VisitBooking,
    )
    from actions.kpis import KpiJob
    from triggers.canonical import CanonicalEvent, JobSnapshot

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DEFAULT_CARD = RateCard(currency="USD", labour_rate_per_hour=Decimal("95.00"), labour_increment_minutes=15,
                        minimum_labour_minutes=60, trip_charge=Decimal("49.00"),
                        parts_markup_percent=Decimal("35"), tax_rate_percent=Decimal("8.25"),
                        payment_terms_days=30)


@dataclass
class FakeStore:
    jobs: dict[str, JobSnapshot] = field(default_factory=dict)
    card: RateCard = DEFAULT_CARD
    invoices: list[StoredInvoice] = field(default_factory=list)
    customers: list[CustomerRecord] = field(default_factory=list)  # searches
    technicians: list[TechnicianRecord] = field(default_factory=list)
    kpi_facts: list[KpiJob] = field(default_factory=list)
    last_heard: datetime | None = None
    job_forms: dict[str, JobForm] = field(default_factory=dict)  # on-site capture, by normalized job type
    locations: dict[str, tuple[float, float]] = field(default_factory=dict)  # job id -> site (lat, lng)
    captures: list[StoredCapture] = field(default_factory=list)

    def get_job(self, job_id: str) -> JobSnapshot | None:
        return self.jobs.get(job_id)

    def get_rate_card(self) -> RateCard:
        return self.card

    def find_invoice_for_job(self, job_id: str) -> StoredInvoice | None:
        return next((i for i in self.invoices if i.job_id == job_id), None)

    def save_invoice(self, draft: InvoiceDraft, receipt: AccountingReceipt, run_id: str | None) -> StoredInvoice:
        invoice = StoredInvoice(id=f"inv{len(self.invoices) + 1}", number=receipt.doc_number, job_id=draft.job_id,
                                customer_id=draft.customer_id, status="draft", currency=draft.currency,
                                lines=draft.lines, subtotal=draft.subtotal, tax=draft.tax, total=draft.total,
                                issued_at=draft.issued_at, due_at=draft.due_at, source=receipt.system,
                                source_id=receipt.remote_id, created_by_run_id=run_id)
        self.invoices.append(invoice)
        return invoice

    def mark_invoice_sent(self, invoice_id: str, sent: SentInvoice, email: str | None) -> StoredInvoice:
        from dataclasses import replace

        [n] = [n for n, i in enumerate(self.invoices) if i.id == invoice_id]
        old = self.invoices[n]
        self.invoices[n] = replace(old, sent_at=old.sent_at or sent.sent_at, payment_link=sent.payment_link,
                                   status="sent" if old.status in ("draft", "open") else old.status)
        return self.invoices[n]

    # --- searches: the rules of actions.matching, as connector.db.searches applies them in SQL ---

    def find_jobs(self, where: JobFilter, limit: int) -> list[JobSnapshot]:
        from actions.matching import contains, phone_matches

        def fits(job: JobSnapshot) -> bool:
            start = job.scheduled_start
            return all((
                not where.job_id or job.job_id == where.job_id,
                not where.source_id or job.source_id == where.source_id,
                not where.status or job.status == where.status,
                not where.scheduled_from or (start is not None and start >= where.scheduled_from),
                not where.scheduled_to or (start is not None and start < where.scheduled_to),
                not where.customer_name or contains(job.customer.name, where.customer_name),
                not where.customer_email or (job.customer.email or "").lower() == where.customer_email,
                not where.customer_phone or phone_matches(job.customer.phone, where.customer_phone),
            ))

        found = sorted((j for j in self.jobs.values() if fits(j)),
                       key=lambda j: (j.created_at or datetime.min.replace(tzinfo=UTC), j.job_id), reverse=True)
        return found[:limit]

    def find_customers(self, where: CustomerFilter, limit: int) -> list[CustomerRecord]:
        from actions.matching import contains, phone_matches

        found = [c for c in self.customers if all((
            not where.customer_id or c.id == where.customer_id,
            not where.email or (c.email or "").lower() == where.email,
            not where.phone or phone_matches(c.phone, where.phone),
            not where.name or contains(c.name, where.name),
        ))]
        return sorted(found, key=lambda c: (c.created_at, c.id), reverse=True)[:limit]

    def find_technicians(self, where: TechnicianFilter, limit: int) -> list[TechnicianRecord]:
        from actions.matching import contains

        found = [t for t in self.technicians if all((
            not where.technician_id or t.id == where.technician_id,
            not where.name or contains(t.name, where.name),
            not where.email or (t.email or "").lower() == where.email,
            not where.skill or where.skill.lower() in {s.lower() for s in t.skills},
        ))]
        return sorted(found, key=lambda t: (not t.active, t.name, t.id))[:limit]

    def kpi_jobs(self, start: datetime, end: datetime) -> list[KpiJob]:
        return list(self.kpi_facts)

    def kpi_as_of(self) -> datetime | None:
        return self.last_heard

    # --- on-site capture: the rules of connector.db.captures, in memory ---

    def get_job_form(self, job_type: str) -> JobForm | None:
        from actions.capture import normalize_job_type

        return self.job_forms.get(normalize_job_type(job_type))

    def save_job_form(self, form: JobForm, run_id: str | None) -> JobForm:
        from dataclasses import replace

        from actions.capture import normalize_job_type

        key = normalize_job_type(form.job_type)
        self.job_forms[key] = replace(form, job_type=key, source="tenant", updated_at=NOW)
        return self.job_forms[key]

    def delete_job_form(self, job_type: str) -> bool:
        from actions.capture import normalize_job_type

        return self.job_forms.pop(normalize_job_type(job_type), None) is not None

    def job_location(self, job_id: str) -> tuple[float, float] | None:
        return self.locations.get(job_id)

    def find_capture(self, job_id: str, idempotency_key: str) -> StoredCapture | None:
        return next((c for c in self.captures if c.draft.job_id == job_id
                     and c.draft.idempotency_key == idempotency_key), None)

    def latest_capture(self, job_id: str) -> StoredCapture | None:
        return max((c for c in self.captures if c.draft.job_id == job_id), key=lambda c: c.revision, default=None)

    def save_capture(self, draft: CaptureDraft) -> StoredCapture:
        from actions.capture import StoredCapture

        previous = self.latest_capture(draft.job_id)
        capture = StoredCapture(id=f"cap{len(self.captures) + 1}", revision=previous.revision + 1 if previous else 1,
                                replaces_id=previous.id if previous else None, draft=draft)
        self.captures.append(capture)
        return capture

    def complete_job(self, completion: JobCompletion) -> JobSnapshot:
        from triggers.canonical import JobStatus

        job = self.jobs[completion.job_id]
        changes: dict[str, object] = {}
        if completion.notes is not None:
            changes["completion_notes"] = completion.notes
        if completion.parts is not None:
            changes["parts"] = list(completion.parts)
        if job.arrived_at is None and completion.arrived_at is not None:
            changes["arrived_at"] = completion.arrived_at
        if job.status != JobStatus.COMPLETED:
            changes |= {"status": JobStatus.COMPLETED, "completed_at": job.completed_at or completion.completed_at}
        self.jobs[job.job_id] = job.model_copy(update=changes)
        return self.jobs[job.job_id]


@dataclass
class FakeAccounting:
    created: dict[str, InvoiceDraft] = field(default_factory=dict)
    down: bool = False
    purchase_orders: dict[str, PurchaseOrderDraft] = field(default_factory=dict)

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        if self.down:
            raise UpstreamUnavailable("accounting is down", retry_after=5)
        self.created.setdefault(request_id, draft)
        number = f"INV-{list(self.created).index(request_id) + 1:06d}"
        return AccountingReceipt(remote_id=f"R-{number}", doc_number=number, system="fake")

    def create_purchase_order(self, request_id: str, order: PurchaseOrderDraft) -> AccountingReceipt:
        if self.down:
            raise UpstreamUnavailable("accounting is down", retry_after=5)
        self.purchase_orders.setdefault(request_id, order)
        number = f"PO-{list(self.purchase_orders).index(request_id) + 1:06d}"
        return AccountingReceipt(remote_id=f"R-{number}", doc_number=number, system="fake")

    # `sent`: request id -> (remote id, email); `send_down` fails sends only (the create went through).
    sent: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    send_down: bool = False

    def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> SentInvoice:
        if self.down or self.send_down:
            raise UpstreamUnavailable("accounting is down", retry_after=5)
        self.sent.setdefault(request_id, (remote_id, email))
        return SentInvoice(payment_link=f"https://pay.example.test/{self.sent[request_id][0]}", sent_at=NOW)


@dataclass
class FakeConsent:
    """An in-memory consent ledger with the real rules (actions.consent.decide).

    `customers` maps a known customer id to its FSM mail flags {"marketing": bool, "operational": bool}
    (missing flags: none set); `entries` is the append-only log, newest last.
    """

    customers: dict[str, dict[str, bool]] = field(default_factory=dict)
    entries: list[dict[str, object]] = field(default_factory=list)

    def decision(self, customer_id: str, channel: str, purpose: str) -> ConsentDecision:
        from actions.consent import decide

        newest = next((e for e in reversed(self.entries) if (e["customer_id"], e["channel"], e["purpose"])
                       == (customer_id, channel, purpose)), None)
        flags = self.customers.get(customer_id)
        return decide(channel, purpose, known_customer=flags is not None,
                      newest_granted=None if newest is None else bool(newest["granted"]),
                      fsm_flag=(flags or {}).get(purpose) if channel == "mail" else None)

    def record(self, customer_id: str, channel: str, purpose: str, *, granted: bool, source: str,
               evidence: str) -> None:
        from actions.consent import check

        check(channel, purpose, source)
        self.entries.append({"customer_id": customer_id, "channel": channel, "purpose": purpose,
                             "granted": granted, "source": source, "evidence": evidence})


@dataclass
class FakeMailroom:
    """In-memory direct mail: contacts by id, saved batches, mail keys already used."""

    contacts_by_id: dict[str, MailContact] = field(default_factory=dict)
    lob: bool = True
    batches: list[PostcardBatchDraft] = field(default_factory=list)

    def contacts(self, customer_ids: list[str] | None) -> list[MailContact]:
        if customer_ids is None:
            return list(self.contacts_by_id.values())
        return [self.contacts_by_id[i] for i in customer_ids if i in self.contacts_by_id]

    def lob_configured(self) -> bool:
        return self.lob

    def new_batch_id(self) -> str:
        return f"batch{len(self.batches) + 1}"

    def mailed_in(self, mail_key: str) -> str | None:
        return next((b.id for b in self.batches for line in b.lines if line.mail_key == mail_key), None)

    def opt_out_url(self, customer_id: str) -> str:
        return f"https://backbone.test/opt-out/{customer_id}"

    def batch_url(self, batch_id: str) -> str:
        return f"https://backbone.test/api/v1/postcards/batches/{batch_id}"

    def save_batch(self, batch: PostcardBatchDraft) -> None:
        self.batches.append(batch)


@dataclass
class FakeStock:
    """In-memory truck stock with the database's rule: one open order per truck+SKU."""

    technicians: dict[str, str] = field(default_factory=dict)
    stock: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    orders: list[StockOrder] = field(default_factory=list)
    job_usages: dict[str, str] = field(default_factory=dict)
    accounting_connected: bool = True

    def lock_truck(self, technician_id: str) -> str | None:
        return self.technicians.get(technician_id)

    def default_order_kind(self) -> str:
        return "purchase_order" if self.accounting_connected else "warehouse_pull"

    def claim_job(self, job_id: str, technician_id: str, run_id: str) -> str | None:
        earlier = self.job_usages.get(job_id)
        self.job_usages.setdefault(job_id, technician_id)
        return earlier

    def levels(self, technician_id: str) -> dict[str, StockLevel]:
        return {sku: level for (tech, sku), level in self.stock.items() if tech == technician_id}

    def save_level(self, level: StockLevel) -> StockLevel:
        from dataclasses import replace

        stored = replace(level, version=level.version + 1, updated_at=NOW)
        self.stock[(level.technician_id, level.sku)] = stored
        return stored

    def open_orders(self, technician_id: str) -> dict[str, StockOrder]:
        return {o.sku: o for o in self.orders if o.technician_id == technician_id and o.status == "open"}

    def add_order(self, order: StockOrder, run_id: str | None) -> StockOrder | None:
        if order.sku in self.open_orders(order.technician_id):
            return None
        self.orders.append(order)
        return order


@dataclass
class FakeMessenger:
    """Records what it sends. `channels` are the ones it can send on; `fail_with` is raised by the next send."""

    channels: tuple[str, ...] = ("sms", "email")
    sent: list[tuple[str, str, str | None, str]] = field(default_factory=list)  # (channel, to, subject, body)
    fail_with: Exception | None = None

    def can_send(self, channel: str) -> bool:
        return channel in self.channels

    def _send(self, channel: str, to: str, subject: str | None, body: str):  # type: ignore[no-untyped-def]
        from actions.context import MessageReceipt

        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        self.sent.append((channel, to, subject, body))
        return MessageReceipt("twilio" if channel == "sms" else "smtp", f"M{len(self.sent)}", "queued")

    def send_sms(self, to: str, body: str):  # type: ignore[no-untyped-def]
        return self._send("sms", to, None, body)

    def send_email(self, to: str, subject: str, body: str):  # type: ignore[no-untyped-def]
        return self._send("email", to, subject, body)


@dataclass
class FakeNotifications:
    """Templates and the ledger in memory, with the real slot rule (unique per job, stage, sequence)."""

    company: str = "Acme Heating"
    own_templates: dict[str, dict[str, str]] = field(default_factory=dict)
    eta: object = None  # a PlannedEta, or None
    rows: list = field(default_factory=list)  # NotificationRecord, in claim order

    def company_name(self) -> str:
        return self.company

    def templates(self, stage: str) -> dict[str, str]:
        return dict(self.own_templates.get(stage, {}))

    def planned_eta(self, job_id: str):  # type: ignore[no-untyped-def]
        return self.eta

    def history(self, job_id: str, stage: str) -> list:  # type: ignore[type-arg]
        return sorted((r for r in self.rows if (r.job_id, r.stage) == (job_id, stage)), key=lambda r: r.sequence)

    def claim(self, record, run_id):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        slot = (record.job_id, record.stage, record.sequence)
        held = next((r for r in self.rows if (r.job_id, r.stage, r.sequence) == slot), None)
        if held is not None and held.status not in ("failed", "suppressed"):
            return None
        if held is not None:
            self.rows.remove(held)
        claimed = replace(record, id=f"n{len(self.rows) + 1}-{record.stage}-{record.sequence}", status="sending")
        self.rows.append(claimed)
        return claimed

    def settle(self, notification_id, status, *, receipt=None, detail=None):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        row = next(r for r in self.rows if r.id == notification_id)
        changes: dict[str, object] = {"status": status, "detail": detail}
        if receipt is not None:
            changes.update(provider=receipt.provider, provider_message_id=receipt.message_id,
                           provider_status=receipt.status)
        elif status == "unknown":
            changes["provider_status"] = "unknown"
        if status in ("sent", "unknown", "composed"):
            changes["sent_at"] = NOW
        settled = replace(row, **changes)
        self.rows[self.rows.index(row)] = settled
        return settled


@dataclass
class FakeEvents:
    emitted: list[CanonicalEvent] = field(default_factory=list)

    def emit(self, event: CanonicalEvent) -> None:
        self.emitted.append(event)


def make_context(store: FakeStore | None = None, accounting: FakeAccounting | None = None,
                 key: str = "key-1") -> tuple[Context, FakeStore, FakeAccounting, FakeEvents]:
    store = store or FakeStore()
    accounting = accounting or FakeAccounting()
    events = FakeEvents()
    ctx = Context(tenant_id="t1", run_id="run1", idempotency_key=key, store=store, accounting=accounting,
                  events=events, clock=lambda: NOW)
    return ctx, store, accounting, events


def make_search_context(store: FakeStore | None = None, timezone: str = "UTC",
                        consent: FakeConsent | None = None) -> tuple[SearchContext, FakeStore]:
    from actions.context import SearchContext

    store = store or FakeStore()
    return SearchContext(tenant_id="t1", store=store, clock=lambda: NOW, timezone=timezone, consent=consent), store


@dataclass
class FakeContracts:
    """In-memory service contracts; visit jobs are JobSnapshots keyed like the SQL store's (one per day)."""

    customers: set[str] = field(default_factory=lambda: {"cust-1"})
    contracts: dict[str, StoredContract] = field(default_factory=dict)
    visit_rows: dict[str, StoredVisit] = field(default_factory=dict)  # by job id
    jobs: dict[str, JobSnapshot] = field(default_factory=dict)

    def customer_exists(self, customer_id: str) -> bool:
        return customer_id in self.customers

    def get_contract(self, contract_id: str) -> StoredContract | None:
        return self.contracts.get(contract_id)

    def find_contract(self, customer_id: str, service: str) -> StoredContract | None:
        return next((c for c in self.contracts.values()
                     if (c.terms.customer_id, c.terms.service) == (customer_id, service)), None)

    def save_contract(self, contract_id: str | None, terms: ContractTerms,
                      last_completed_at: datetime | None) -> StoredContract:
        from actions.context import StoredContract

        contract_id = contract_id or f"contract{len(self.contracts) + 1}"
        created = self.contracts[contract_id].created_at if contract_id in self.contracts else NOW
        self.contracts[contract_id] = StoredContract(contract_id, terms, last_completed_at, created)
        return self.contracts[contract_id]

    def visits(self, contract_id: str) -> list[StoredVisit]:
        return sorted((v for v in self.visit_rows.values() if v.contract_id == contract_id), key=lambda v: v.occurs_on)

    def visit_for_job(self, job_id: str) -> StoredVisit | None:
        return self.visit_rows.get(job_id)

    def _store(self, visit: StoredVisit, contract: StoredContract | None = None) -> tuple[JobSnapshot, StoredVisit]:
        from triggers.canonical import CustomerRef, JobSnapshot, JobStatus

        terms = (contract or self.contracts[visit.contract_id]).terms
        self.visit_rows[visit.job_id] = visit
        self.jobs[visit.job_id] = JobSnapshot(
            job_id=visit.job_id, source="backbone", source_id=f"contract:{visit.contract_id}:{visit.occurs_on}",
            status=JobStatus(visit.status), job_type=terms.service, priority="P3",
            customer=CustomerRef(id=terms.customer_id), scheduled_start=visit.scheduled_start,
            scheduled_end=visit.scheduled_end, completed_at=visit.completed_at)
        return self.jobs[visit.job_id], visit

    def book_visit(self, contract: StoredContract, booking: VisitBooking,
                   now: datetime) -> tuple[JobSnapshot, StoredVisit] | None:
        from actions.context import StoredVisit

        if any(v.contract_id == contract.id and v.occurs_on == booking.occurs_on for v in self.visit_rows.values()):
            return None
        t = contract.terms
        visit = StoredVisit(contract.id, f"{contract.id}-{booking.occurs_on}", booking.occurs_on, "scheduled",
                            booking.start, booking.end, None, t.price, t.duration_minutes,
                            t.skills[0] if t.skills else None, 1, dropped=False)
        return self._store(visit, contract)

    def rebook_visit(self, contract: StoredContract, visit: StoredVisit, booking: VisitBooking,
                     now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        from dataclasses import replace

        t = contract.terms
        moved = visit.dropped or (visit.scheduled_start, visit.scheduled_end) != (booking.start, booking.end)
        return self._store(replace(
            visit, status="scheduled", scheduled_start=booking.start, scheduled_end=booking.end, price=t.price,
            duration_minutes=t.duration_minutes, skill=t.skills[0] if t.skills else None,
            revision=visit.revision + (1 if moved else 0), dropped=False), contract)

    def drop_visit(self, visit: StoredVisit, now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        from dataclasses import replace

        return self._store(replace(visit, status="cancelled", revision=visit.revision + 1, dropped=True))

    def complete(self, job_id: str, at: datetime) -> None:
        """What the field does: the technician completes the visit (late or not)."""
        from dataclasses import replace

        self._store(replace(self.visit_rows[job_id], status="completed", completed_at=at))
