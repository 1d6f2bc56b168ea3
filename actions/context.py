"""What an action may touch: a Context of protocols, implemented by the connector and by fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date, datetime

    from actions.capture import CaptureDraft, JobCompletion, JobForm, StoredCapture
    from actions.kpis import KpiJob
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
    #: Hourly labour rate by skill (lower-case); a skill not listed bills `labour_rate_per_hour`.
    skill_rates: Mapping[str, Decimal] = field(default_factory=dict)
    #: Labour rate multipliers outside business hours and on emergency (P1) jobs; 1 = no surcharge.
    after_hours_multiplier: Decimal = Decimal(1)
    emergency_multiplier: Decimal = Decimal(1)
    #: Business hours, in the tenant's local time: ISO weekdays (1 = Monday) and [start, end).
    business_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    business_start: time = time(8)
    business_end: time = time(17)
    #: The price book: flat-rate items by code.
    flat_rate_items: Mapping[str, FlatRateItem] = field(default_factory=dict)
    labour_taxable: bool = True
    trip_taxable: bool = True
    parts_taxable: bool = True


@dataclass(frozen=True)
class FlatRateItem:
    """One price-book entry: a fixed price for a unit of work or a part."""

    description: str
    price: Decimal
    taxable: bool = True


@dataclass(frozen=True)
class SentInvoice:
    """What the accounting system answered to a send.

    Attributes:
        payment_link: Where the customer pays online (None when the system offers none).
        sent_at: When it was sent (UTC).
        event_id: The id the system's own change feed gives this send, so a webhook about it later
            is recognised as the same invoice.sent; None when the system has no feed.
    """

    payment_link: str | None
    sent_at: datetime
    event_id: str | None = None


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
    sent_at: datetime | None = None
    payment_link: str | None = None


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


@dataclass(frozen=True)
class StockLevel:
    """One SKU on one truck (a technician's van): the count and the reorder thresholds.

    Attributes:
        version: Grows by one with every stored change (0: never stored); a crossing below
            `min_quantity` is identified by the version that crossed.
    """

    technician_id: str
    sku: str
    on_hand: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    description: str | None = None
    unit_cost: Decimal | None = None
    version: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PurchaseOrderDraft:
    """A reorder of one SKU for one truck, as the accounting system receives it."""

    technician_id: str
    technician_name: str
    sku: str
    description: str | None
    quantity: Decimal
    unit_cost: Decimal | None
    vendor: str | None


@dataclass(frozen=True)
class StockOrder:
    """A purchase order or warehouse pull that refills one SKU on one truck.

    Attributes:
        kind: "purchase_order" or "warehouse_pull".
        status: "open", "received" or "cancelled"; a truck+SKU has at most one open order.
    """

    id: str
    technician_id: str
    sku: str
    kind: str
    quantity: Decimal
    status: str
    request_id: str
    created_at: datetime
    system: str | None = None
    remote_id: str | None = None
    remote_number: str | None = None
    vendor: str | None = None


class TruckStock(Protocol):
    """Per-truck stock levels and stock orders of one tenant, in the action's transaction."""

    def lock_truck(self, technician_id: str) -> str | None:
        """Holds the truck for this transaction; returns the technician's name, or None if unknown."""

    def default_order_kind(self) -> str:
        """"purchase_order" when an accounting system is connected, else "warehouse_pull"."""

    def claim_job(self, job_id: str, technician_id: str, run_id: str) -> str | None:
        """Records that the job's parts came off this truck; returns the earlier truck if they already had."""

    def levels(self, technician_id: str) -> dict[str, StockLevel]:
        """Every SKU the truck stocks, by SKU."""

    def save_level(self, level: StockLevel) -> StockLevel:
        """Stores the level one version newer than `level.version`; returns it as stored."""

    def open_orders(self, technician_id: str) -> dict[str, StockOrder]:
        """The truck's open orders, by SKU."""

    def add_order(self, order: StockOrder, run_id: str | None) -> StockOrder | None:
        """Stores a new open order; None when the truck+SKU already has one (the database refuses a second)."""


class NoStock:
    """No truck stock is kept (tests that need none): every call refuses."""

    def lock_truck(self, technician_id: str) -> str | None:
        """Always refuses."""
        raise _no_stock()

    def default_order_kind(self) -> str:
        """Always refuses."""
        raise _no_stock()

    def claim_job(self, job_id: str, technician_id: str, run_id: str) -> str | None:
        """Always refuses."""
        raise _no_stock()

    def levels(self, technician_id: str) -> dict[str, StockLevel]:
        """Always refuses."""
        raise _no_stock()

    def save_level(self, level: StockLevel) -> StockLevel:
        """Always refuses."""
        raise _no_stock()

    def open_orders(self, technician_id: str) -> dict[str, StockOrder]:
        """Always refuses."""
        raise _no_stock()

    def add_order(self, order: StockOrder, run_id: str | None) -> StockOrder | None:
        """Always refuses."""
        raise _no_stock()


def _no_stock() -> Exception:
    from actions.errors import Conflict

    return Conflict("Truck stock is not available for this account.")


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

    def mark_invoice_sent(self, invoice_id: str, sent: SentInvoice, email: str | None) -> StoredInvoice:
        """Records the send (sent_at, status "sent", payment link) on the stored invoice."""

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

    def find_jobs(self, where: JobFilter, limit: int) -> list[JobSnapshot]:
        """Jobs matching every criterion given in `where`, newest (created) first, at most `limit`."""

    def find_customers(self, where: CustomerFilter, limit: int) -> list[CustomerRecord]:
        """Customers matching every criterion given in `where`, newest first, at most `limit`."""

    def find_technicians(self, where: TechnicianFilter, limit: int) -> list[TechnicianRecord]:
        """Technicians matching every criterion given in `where`, active ones first, then by name."""

    def kpi_jobs(self, start: datetime, end: datetime) -> list[KpiJob]:
        """The KPI facts of every job that can count in [start, end) (and of the jobs that may be recalls)."""

    def kpi_as_of(self) -> datetime | None:
        """When Backbone last heard anything for this tenant (the KPIs are as fresh as that)."""

    def get_job_form(self, job_type: str) -> JobForm | None:
        """The tenant's own form for this job type (matched case-insensitively), or None."""

    def save_job_form(self, form: JobForm, run_id: str | None) -> JobForm:
        """Sets the tenant's form for `form.job_type` (replacing any); returns it as stored."""

    def delete_job_form(self, job_type: str) -> bool:
        """Drops the tenant's form for this job type; False when it had none."""

    def job_location(self, job_id: str) -> tuple[float, float] | None:
        """The job's site (the customer's lat, lng), or None when unknown."""

    def find_capture(self, job_id: str, idempotency_key: str) -> StoredCapture | None:
        """The job's capture recorded under this idempotency key, if any."""

    def latest_capture(self, job_id: str) -> StoredCapture | None:
        """The job's current (newest) capture, if any."""

    def save_capture(self, draft: CaptureDraft) -> StoredCapture:
        """Stores a capture as the job's current one (next revision); the previous one becomes history."""

    def complete_job(self, completion: JobCompletion) -> JobSnapshot:
        """Applies a capture to the job (notes, parts, missing arrival; completed unless it already is)."""


class Accounting(Protocol):
    """The tenant's accounting system (QuickBooks Online, or the sandbox)."""

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        """Creates and numbers the invoice; the same request_id always answers with the first invoice."""

    def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> SentInvoice:
        """Emails the invoice (to `email`, else its bill-to address); the same request_id never sends twice."""

    def create_purchase_order(self, request_id: str, order: PurchaseOrderDraft) -> AccountingReceipt:
        """Creates the purchase order; the same request_id always answers with the first order."""


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


CONSENT_CHANNELS = ("mail", "sms", "email")
CONSENT_PURPOSES = ("marketing", "operational")
CONSENT_SOURCES = ("fsm", "form", "opt_out_url", "support", "import")


@dataclass(frozen=True)
class ConsentDecision:
    """May Backbone contact this customer on this channel for this purpose, and why.

    Reasons: "granted" / "opted_out" (the newest ledger entry), "do_not_mail" (the FSM's flag is off),
    "no_marketing_consent" (SMS/email marketing needs an explicit grant), "default_operational"
    (operational messages are allowed by default), "default_existing_customer" (US postal marketing
    to an existing customer is allowed unless opted out), "unknown_customer".
    """

    allowed: bool
    reason: str


class ConsentLedger(Protocol):
    """Per-customer consent by channel (mail|sms|email) and purpose (marketing|operational); append-only."""

    def decision(self, customer_id: str, channel: str, purpose: str) -> ConsentDecision:
        """Whether the customer may be contacted now; the newest entry decides, else the defaults."""

    def record(self, customer_id: str, channel: str, purpose: str, *, granted: bool, source: str,
               evidence: str) -> None:
        """Appends a grant or an opt-out (source: fsm|form|opt_out_url|support|import)."""


class NoConsent:
    """No ledger (tests that need none): operational allowed, marketing refused, nothing recorded."""

    def decision(self, customer_id: str, channel: str, purpose: str) -> ConsentDecision:
        """Operational: allowed; marketing: refused."""
        if purpose == "operational":
            return ConsentDecision(True, "default_operational")
        return ConsentDecision(False, "no_marketing_consent")

    def record(self, customer_id: str, channel: str, purpose: str, *, granted: bool, source: str,
               evidence: str) -> None:
        """Always refuses: there is nowhere to record."""
        from actions.errors import Conflict

        raise Conflict("No consent ledger is available for this account.")


@dataclass(frozen=True)
class MailContact:
    """A customer as direct mail needs it (address parts may be missing)."""

    customer_id: str
    name: str
    address: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    last_service_at: datetime | None
    job_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostcardLine:
    """One recipient of a postcard batch, as queued."""

    customer_id: str
    status: str
    reason: str | None
    name: str
    address: dict[str, str] | None = None
    mail_key: str | None = None
    opt_out_url: str | None = None
    last_service_at: datetime | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class PostcardBatchDraft:
    """A postcard batch to keep (and, for Lob, to send when due)."""

    id: str
    purpose: str
    delivery: str
    status: str
    campaign: str
    send_window: str
    send_date: datetime | None
    due_at: datetime
    size: str
    mail_type: str
    front: str | None
    back: str | None
    from_address: dict[str, str] | None
    merge_variables: dict[str, Any]
    description: str | None
    csv: str | None
    lines: tuple[PostcardLine, ...]


class Mailroom(Protocol):
    """Direct mail for one tenant: contacts, the opt-out links, batches and who was mailed already."""

    def contacts(self, customer_ids: list[str] | None) -> list[MailContact]:
        """These customers (unknown ids left out), or every customer of the tenant (None)."""

    def lob_configured(self) -> bool:
        """Whether postcards can be sent through Lob (else they are exported)."""

    def new_batch_id(self) -> str:
        """A fresh batch id."""

    def mailed_in(self, mail_key: str) -> str | None:
        """The batch already holding this mail piece (same campaign, customer and send window), if any."""

    def opt_out_url(self, customer_id: str) -> str:
        """The signed public link that opts this customer out of marketing mail."""

    def batch_url(self, batch_id: str) -> str:
        """Where the batch (and its CSV, at `/csv`) can be read with the API token."""

    def save_batch(self, batch: PostcardBatchDraft) -> None:
        """Keeps the batch; a Lob batch is sent once the transaction commits, when due."""


class NoMailroom:
    """No direct mail (tests that need none): every use refuses."""

    @staticmethod
    def _refuse() -> Any:
        from actions.errors import Conflict

        raise Conflict("Direct mail is not available for this account.")

    def contacts(self, customer_ids: list[str] | None) -> list[MailContact]:
        """Refuses."""
        return self._refuse()  # type: ignore[no-any-return]

    def lob_configured(self) -> bool:
        """Never."""
        return False

    def new_batch_id(self) -> str:
        """Refuses."""
        return self._refuse()  # type: ignore[no-any-return]

    def mailed_in(self, mail_key: str) -> str | None:
        """Refuses."""
        return self._refuse()  # type: ignore[no-any-return]

    def opt_out_url(self, customer_id: str) -> str:
        """Refuses."""
        return self._refuse()  # type: ignore[no-any-return]

    def batch_url(self, batch_id: str) -> str:
        """Refuses."""
        return self._refuse()  # type: ignore[no-any-return]

    def save_batch(self, batch: PostcardBatchDraft) -> None:
        """Refuses."""
        self._refuse()


# --- recurring service contracts ---------------------------------------------------------------


@dataclass(frozen=True)
class ContractTerms:
    """What a service contract promises: who, which service, how often, when in the (local) day, at what price."""

    customer_id: str
    service: str
    rrule: str
    window_start: time
    window_end: time
    duration_minutes: int
    skills: tuple[str, ...]
    price: Decimal
    starts_on: date
    notice_days: int
    active: bool


@dataclass(frozen=True)
class StoredContract:
    """A contract as the store holds it."""

    id: str
    terms: ContractTerms
    last_completed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class StoredVisit:
    """A visit generated from a contract: the job of one occurrence (its local day), with the contract price."""

    contract_id: str
    job_id: str
    occurs_on: date
    status: str
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    completed_at: datetime | None
    price: Decimal
    duration_minutes: int | None
    skill: str | None
    revision: int
    dropped: bool


@dataclass(frozen=True)
class VisitBooking:
    """When one occurrence's visit is booked (UTC)."""

    occurs_on: date
    start: datetime
    end: datetime


class Contracts(Protocol):
    """The tenant's service contracts and the visits generated from them, in the action's transaction."""

    def customer_exists(self, customer_id: str) -> bool:
        """Whether this tenant has the customer."""

    def get_contract(self, contract_id: str) -> StoredContract | None:
        """The contract (held for this transaction), or None."""

    def find_contract(self, customer_id: str, service: str) -> StoredContract | None:
        """The customer's contract for this service (held for this transaction), or None."""

    def save_contract(self, contract_id: str | None, terms: ContractTerms,
                      last_completed_at: datetime | None) -> StoredContract:
        """Creates (contract_id None) or updates the contract."""

    def visits(self, contract_id: str) -> list[StoredVisit]:
        """Every visit generated from the contract, by day."""

    def visit_for_job(self, job_id: str) -> StoredVisit | None:
        """The contract visit a job is, or None (e.g. to bill it at the contract price)."""

    def book_visit(self, contract: StoredContract, booking: VisitBooking,
                   now: datetime) -> tuple[JobSnapshot, StoredVisit] | None:
        """Creates the occurrence's job, scheduled; None when that occurrence already has one."""

    def rebook_visit(self, contract: StoredContract, visit: StoredVisit, booking: VisitBooking,
                     now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        """Moves the visit to the booking with the contract's current terms (reviving a dropped one)."""

    def drop_visit(self, visit: StoredVisit, now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        """Cancels a visit that left the series."""


class NoContracts:
    """No contracts are kept (tests that need none): every call refuses."""

    def customer_exists(self, customer_id: str) -> bool:
        """Always refuses."""
        raise _no_contracts()

    def get_contract(self, contract_id: str) -> StoredContract | None:
        """Always refuses."""
        raise _no_contracts()

    def find_contract(self, customer_id: str, service: str) -> StoredContract | None:
        """Always refuses."""
        raise _no_contracts()

    def save_contract(self, contract_id: str | None, terms: ContractTerms,
                      last_completed_at: datetime | None) -> StoredContract:
        """Always refuses."""
        raise _no_contracts()

    def visits(self, contract_id: str) -> list[StoredVisit]:
        """Always refuses."""
        raise _no_contracts()

    def visit_for_job(self, job_id: str) -> StoredVisit | None:
        """No job is a contract visit."""
        return None

    def book_visit(self, contract: StoredContract, booking: VisitBooking,
                   now: datetime) -> tuple[JobSnapshot, StoredVisit] | None:
        """Always refuses."""
        raise _no_contracts()

    def rebook_visit(self, contract: StoredContract, visit: StoredVisit, booking: VisitBooking,
                     now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        """Always refuses."""
        raise _no_contracts()

    def drop_visit(self, visit: StoredVisit, now: datetime) -> tuple[JobSnapshot, StoredVisit]:
        """Always refuses."""
        raise _no_contracts()


def _no_contracts() -> Exception:
    from actions.errors import Conflict

    return Conflict("Service contracts are not available for this account.")


@dataclass(frozen=True)
class MessageReceipt:
    """What the SMS or email provider answered when it took a message."""

    provider: str  # twilio | smtp
    message_id: str  # Twilio's message sid, or the email's Message-ID
    status: str  # the provider's status (Twilio: queued/accepted/...; SMTP: accepted)


class MessageRefused(Exception):
    """The provider refused the message: nothing went out, so it may be sent again later.

    Attributes:
        message: What the provider said (product copy, no secrets).
        retryable: A later try may succeed unchanged (throttled, provider down, credentials being fixed).
        retry_after: Seconds the provider asked us to wait, if it said.
        opted_out: The recipient told the carrier to stop messages from this sender (Twilio 21610).
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 opted_out: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.opted_out = opted_out


class MessageOutcomeUnknown(Exception):
    """The provider did not say whether it took the message (timeout, 5xx): it may have gone out."""


class Messenger(Protocol):
    """Sends SMS (Twilio) and email (SMTP) for the tenant, when Backbone is configured to.

    A send is not safely repeatable (Twilio has no idempotency key): implementations never retry a
    send whose outcome is unknown; they raise `MessageOutcomeUnknown` instead.
    """

    def can_send(self, channel: str) -> bool:
        """Whether Backbone itself can send on this channel (sms|email); otherwise messages are composed only."""

    def send_sms(self, to: str, body: str) -> MessageReceipt:
        """Sends one SMS; raises MessageRefused (nothing sent) or MessageOutcomeUnknown."""

    def send_email(self, to: str, subject: str, body: str) -> MessageReceipt:
        """Sends one plain-text email; raises MessageRefused (nothing sent) or MessageOutcomeUnknown."""


class NoMessenger:
    """Nothing is configured: every message is composed for the next Zap step."""

    def can_send(self, channel: str) -> bool:
        """Never."""
        return False

    def send_sms(self, to: str, body: str) -> MessageReceipt:
        """Always refuses (callers ask `can_send` first)."""
        raise MessageRefused("No SMS provider is configured.", retryable=False)

    def send_email(self, to: str, subject: str, body: str) -> MessageReceipt:
        """Always refuses (callers ask `can_send` first)."""
        raise MessageRefused("No email server is configured.", retryable=False)


@dataclass(frozen=True)
class NotificationRecord:
    """One row of the notification ledger: a stage of a job's ladder, sent (or composed) at most once.

    Status: sending (claimed, send in flight) | sent | unknown (the provider did not answer: it may have
    gone out, so it is never sent again) | composed (handed to the Zap) | failed (refused: nothing went
    out) | suppressed (consent). failed and suppressed rows may be claimed again.
    """

    id: str
    job_id: str
    stage: str
    sequence: int
    channel: str
    recipient: str
    subject: str | None
    body: str
    status: str
    created_at: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    eta: datetime | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    provider_status: str | None = None
    detail: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True)
class PlannedEta:
    """A job's expected arrival and window (UTC), from Backbone's route plan or else the booking."""

    eta: datetime
    window_start: datetime
    window_end: datetime
    source: str  # plan | booking


class Notifications(Protocol):
    """The tenant's notification templates and the ledger of notifications (unique per job, stage, sequence)."""

    def company_name(self) -> str:
        """The tenant's company name, as customers know it."""

    def templates(self, stage: str) -> dict[str, str]:
        """The tenant's own templates for the stage, by field (sms, email_subject, email_body); unset ones absent."""

    def planned_eta(self, job_id: str) -> PlannedEta | None:
        """The job's ETA and window now, or None when neither a plan nor a booking gives one."""

    def history(self, job_id: str, stage: str) -> list[NotificationRecord]:
        """Every ledger row of the job's stage, by sequence."""

    def claim(self, record: NotificationRecord, run_id: str | None) -> NotificationRecord | None:
        """Records `record` (status sending) BEFORE anything is sent, durably where the database allows.

        Returns None when the (job, stage, sequence) slot is taken by a row that is not failed or suppressed.
        """

    def settle(self, notification_id: str, status: str, *, receipt: MessageReceipt | None = None,
               detail: str | None = None) -> NotificationRecord:
        """Sets the outcome of a claimed row."""


class NoNotifications:
    """No notification ledger (tests that need none): every call refuses."""

    def __getattr__(self, name: str) -> Any:
        from actions.errors import Conflict

        raise Conflict("Customer notifications are not available for this account.")


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
        consent: The consent ledger (who may be contacted, on which channel, for which purpose).
        stock: Truck stock levels and stock orders.
        contracts: Service contracts and their visits (schedule_recurring).
        messenger: Sends SMS and email when Backbone is configured to (else messages are composed).
        notifications: Notification templates and the ledger of notifications sent.
        mail: Direct mail (postcard batches, opt-out links).
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
    consent: ConsentLedger = field(default_factory=NoConsent)
    stock: TruckStock = field(default_factory=NoStock)
    contracts: Contracts = field(default_factory=NoContracts)
    messenger: Messenger = field(default_factory=NoMessenger)
    notifications: Notifications = field(default_factory=NoNotifications)
    mail: Mailroom = field(default_factory=NoMailroom)


# --- searches ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobFilter:
    """What find_jobs matches on; None means "any". Every given criterion must hold."""

    job_id: str | None = None
    source_id: str | None = None
    customer_name: str | None = None  # case-insensitive, contained in the name
    customer_email: str | None = None  # case-insensitive, the whole address
    customer_phone: str | None = None  # digits only; a phone whose digits end with these matches
    status: str | None = None
    scheduled_from: datetime | None = None  # appointment start in [scheduled_from, scheduled_to), UTC
    scheduled_to: datetime | None = None


@dataclass(frozen=True)
class CustomerFilter:
    """What find_customers matches on (same rules as JobFilter's customer fields)."""

    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as searches answer it."""

    id: str
    source: str
    source_id: str | None
    name: str
    email: str | None
    phone: str | None
    address: str | None  # one line: street, city, region postal code
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    lat: float | None
    lng: float | None
    mail_consent_marketing: bool | None
    mail_consent_operational: bool | None
    created_at: datetime


@dataclass(frozen=True)
class TechnicianFilter:
    """What find_technicians matches on; `skill` is matched case-insensitively against each skill."""

    technician_id: str | None = None
    name: str | None = None
    email: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class TechnicianRecord:
    """A technician as searches answer it."""

    id: str
    source: str
    source_id: str | None
    name: str
    email: str | None
    phone: str | None
    skills: tuple[str, ...]
    active: bool
    home_address: str | None
    created_at: datetime


@dataclass
class SearchContext:
    """What a search may use: tenant-scoped reads, the clock and the tenant's time zone. Nothing is written.

    Attributes:
        tenant_id: The tenant the search reads for.
        store: Tenant-scoped data access (searches only read).
        clock: Returns the current UTC time.
        timezone: The tenant's IANA time zone (a "day" in a search is a local day).
        consent: The consent ledger, when the connector has one (None: report no consent decisions).
    """

    tenant_id: str
    store: Store
    clock: Callable[[], datetime]
    timezone: str = "UTC"
    consent: ConsentLedger | None = None
