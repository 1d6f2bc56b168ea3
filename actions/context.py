"""What an action may touch: a Context of protocols, implemented by the connector and by fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from decimal import Decimal

    from triggers.canonical import CanonicalEvent, JobSnapshot


@dataclass(frozen=True)
class RateCard:
    """How a tenant bills labour, trips, parts and tax."""

    currency: str
    labour_rate_per_hour: Decimal
    labour_increment_minutes: int
    minimum_labour_minutes: int
    trip_charge: Decimal
    parts_markup_percent: Decimal
    tax_rate_percent: Decimal
    payment_terms_days: int


@dataclass(frozen=True)
class InvoiceLineDraft:
    """One computed invoice line."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxable: bool = True


@dataclass(frozen=True)
class InvoiceDraft:
    """An invoice before it is stored."""

    job_id: str
    customer_id: str | None
    currency: str
    lines: tuple[InvoiceLineDraft, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    issued_at: datetime
    due_at: datetime
    notes: str | None = None


@dataclass(frozen=True)
class StoredInvoice:
    """An invoice as the store holds it."""

    id: str
    number: str
    job_id: str | None
    customer_id: str | None
    status: str
    currency: str
    lines: tuple[InvoiceLineDraft, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    issued_at: datetime
    due_at: datetime
    source: str
    source_id: str | None
    created_by_run_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountingReceipt:
    """What the accounting system answered to a create."""

    remote_id: str
    doc_number: str
    system: str


@dataclass(frozen=True)
class CompletedJob:
    """A completed job, as reconciliation sees it."""

    job_id: str
    source_id: str | None
    completed_at: datetime
    customer_name: str | None


@dataclass(frozen=True)
class InvoiceFacts:
    """What reconciliation compares for one invoice."""

    id: str
    number: str
    job_id: str | None
    status: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    line_sum: Decimal
    amount_paid: Decimal
    payments_sum: Decimal
    due_at: datetime


@dataclass(frozen=True)
class PlanningTechnician:
    """A technician as route planning needs it."""

    id: str
    name: str
    skills: tuple[str, ...]
    home: tuple[float, float] | None
    truck_stock: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class PlanningJob:
    """A job as route planning needs it (times UTC)."""

    id: str
    source_id: str | None
    customer_name: str | None
    location: tuple[float, float] | None
    window_start: datetime | None
    window_end: datetime | None
    duration_minutes: int
    skills: tuple[str, ...]
    priority: str
    status: str
    technician_id: str | None
    started_at: datetime | None
    parts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class StoredPlan:
    """A route plan Backbone made, kept so the next plan can stay close to it."""

    id: str
    created_at: datetime
    window_start: datetime
    window_end: datetime
    routes: list[dict[str, Any]]
    unassigned: list[dict[str, Any]]
    kpis: dict[str, Any]


class Store(Protocol):
    """Tenant-scoped reads and writes; every implementation is bound to one tenant."""

    def get_job(self, job_id: str) -> JobSnapshot | None:
        """The job, or None when this tenant has no such job."""

    def get_rate_card(self) -> RateCard:
        """The tenant's rate card (defaults when none was set)."""

    def find_invoice_for_job(self, job_id: str) -> StoredInvoice | None:
        """The invoice already made for this job, if any."""

    def save_invoice(self, draft: InvoiceDraft, receipt: AccountingReceipt, run_id: str | None) -> StoredInvoice:
        """Stores the invoice and its lines, numbered as the accounting system numbered it."""

    def completed_jobs(self, start: datetime, end: datetime) -> list[CompletedJob]:
        """Jobs completed in [start, end)."""

    def invoice_facts(self, job_ids: list[str], issued_from: datetime, issued_to: datetime) -> list[InvoiceFacts]:
        """Invoices of these jobs, plus every invoice issued in [issued_from, issued_to)."""

    def planning_technicians(self, ids: list[str] | None) -> list[PlanningTechnician]:
        """The given technicians (all active ones when None); unknown ids are left out."""

    def planning_jobs(self, ids: list[str] | None, start: datetime, end: datetime) -> list[PlanningJob]:
        """The given jobs, or (ids None) every job not done or cancelled scheduled in [start, end)."""

    def save_plan(self, plan: StoredPlan, run_id: str | None) -> None:
        """Keeps a plan."""

    def get_plan(self, plan_id: str) -> StoredPlan | None:
        """A plan this tenant made, or None."""

    def latest_plan(self, window_start: datetime) -> StoredPlan | None:
        """The newest plan of the day that starts at `window_start`, or None."""

    def assign_job(self, job_id: str, technician_id: str, start: datetime) -> bool:
        """Gives the job to the technician (an unbooked job is booked at `start`, UTC); False if either is unknown."""


class Accounting(Protocol):
    """The tenant's accounting system (QuickBooks Online, or the sandbox)."""

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        """Creates and numbers the invoice; the same request_id always answers with the first invoice."""


class Fsm(Protocol):
    """The field-service systems the tenant has connected (Jobber, ServiceTitan, Housecall Pro, the sandbox)."""

    def add_job_note(self, source: str, source_id: str, text: str) -> str:
        """Adds a note to the job `source_id` in the system `source`; returns the note's id there ("" if none)."""


class NoFsm:
    """No field-service system is reachable (tests that need none)."""

    def add_job_note(self, source: str, source_id: str, text: str) -> str:
        """Always refuses: nothing is connected."""
        from actions.errors import Conflict

        raise Conflict(f"No {source} connection can take notes for this account.")


class EventSink(Protocol):
    """Where actions report what happened; the events feed triggers like any other."""

    def emit(self, event: CanonicalEvent) -> None:
        """Records the event in the action's transaction."""


@dataclass
class Context:
    """Everything an action may use. Built per call by the connector (or by tests).

    Attributes:
        tenant_id: The tenant the call acts for.
        run_id: The ActionRun being executed.
        idempotency_key: The run's key; outbound creates derive their own keys from it.
        store: Tenant-scoped data access.
        accounting: The tenant's accounting system.
        events: Sink for canonical events.
        clock: Returns the current UTC time.
        timezone: The tenant's IANA time zone (for local business hours).
        progress: Reports progress of a long run (e.g. best objective so far), shown on the run.
        fsm: The connected field-service systems (write-back).
    """

    tenant_id: str
    run_id: str
    idempotency_key: str
    store: Store
    accounting: Accounting
    events: EventSink
    clock: Callable[[], datetime]
    timezone: str = "UTC"
    progress: Callable[[dict[str, Any]], None] = field(default=lambda _update: None)
    fsm: Fsm = field(default_factory=NoFsm)
