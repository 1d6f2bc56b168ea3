"""In-memory implementations of the actions.context protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from actions.context import AccountingReceipt, Context, InvoiceDraft, RateCard, StoredInvoice
from actions.errors import UpstreamUnavailable

if TYPE_CHECKING:
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


@dataclass
class FakeAccounting:
    created: dict[str, InvoiceDraft] = field(default_factory=dict)
    down: bool = False

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        if self.down:
            raise UpstreamUnavailable("accounting is down", retry_after=5)
        self.created.setdefault(request_id, draft)
        number = f"INV-{list(self.created).index(request_id) + 1:06d}"
        return AccountingReceipt(remote_id=f"R-{number}", doc_number=number, system="fake")


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
