"""The sandbox accounting system: where generate_invoice puts invoices for sandbox tenants.

An invoice it sends gets a sandbox payment link, ``<BACKBONE_BASE_URL>/sandbox/pay/<token>``: a
page that shows the invoice and says that no money moves (the token is random, one per send).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.errors import Conflict, UpstreamUnavailable
from connector.db.base import utcnow
from connector.sandbox.remote import (
    OUTAGE_MODES,
    SandboxAccount,
    SandboxInvoice,
    SandboxInvoiceSend,
    SandboxPurchaseOrder,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from actions.context import AccountingReceipt, InvoiceDraft, PurchaseOrderDraft, SentInvoice
    from connector.db.session import Database

logger = logging.getLogger(__name__)

_Row = TypeVar("_Row", SandboxInvoice, SandboxPurchaseOrder)

SYSTEM = "sandbox"
#: Sandbox accounting numbers its own invoices, per account (QuickBooks' auto DocNumber).
DOC_PREFIX = "SBX-"
#: The sandbox's payment page, under the app's public URL.
PAY_PATH = "/sandbox/pay/"


@dataclass(frozen=True)
class PaymentPage:
    """What the sandbox payment page shows."""

    doc_number: str
    total: Decimal
    currency: str
    email: str | None
    sent_at: datetime
#: ... and its purchase orders.
PO_PREFIX = "SPO-"
#: The vendor of a purchase order that names none.
DEFAULT_VENDOR = "Sandbox Supply Co."


def _document(draft: InvoiceDraft) -> dict[str, object]:
    return {
        "job_id": draft.job_id,
        "customer_id": draft.customer_id,
        "currency": draft.currency,
        "lines": [
            {"kind": ln.kind, "description": ln.description, "quantity": str(ln.quantity),
             "unit_price": str(ln.unit_price), "amount": str(ln.amount)}
            for ln in draft.lines
        ],
        "subtotal": str(draft.subtotal),
        "tax": str(draft.tax),
        "total": str(draft.total),
    }


def set_outage(db: Database, account_id: str, mode: str) -> None:
    """Switches a simulated outage of the sandbox accounting on ("unavailable", ...) or off."""
    if mode not in OUTAGE_MODES:
        raise ValueError(f"outage mode must be one of {', '.join(OUTAGE_MODES)}")
    with db.session() as session:
        account = session.get(SandboxAccount, account_id)
        if account is None:
            session.add(SandboxAccount(account_id=account_id, accounting_outage=mode))
        else:
            account.accounting_outage = mode


def outage(db: Database, account_id: str) -> str:
    with db.session() as session:
        account = session.get(SandboxAccount, account_id)
        return account.accounting_outage if account else "off"


class SandboxAccounting:
    """Implements actions.context.Accounting against the sandbox's own storage."""

    def __init__(self, db: Database, account_id: str, *, base_url: str = "http://127.0.0.1:8000",
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.account_id = account_id
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        return self._created("invoice", lambda: self._create_once(
            SandboxInvoice, request_id, DOC_PREFIX,
            lambda number: SandboxInvoice(account_id=self.account_id, request_id=request_id, doc_number=number,
                                          total=draft.total, document=_document(draft))))

    def _created(self, what: str, create: Callable[[], SandboxInvoice | SandboxPurchaseOrder]) -> AccountingReceipt:
        """Creates through the outage switch: down (nothing made), or timing out after the create."""
        from actions.context import AccountingReceipt

        mode = outage(self.db, self.account_id)
        if mode == "unavailable":
            raise UpstreamUnavailable(
                f"The accounting system is unavailable (sandbox outage switched on); no {what} was created. "
                "Replay the run once it is back.",
                retry_after=30,
            )
        row = create()
        if mode == "timeout_after_create":
            raise UpstreamUnavailable(
                f"The accounting system timed out after accepting the {what} (sandbox outage); "
                f"a replay will pick up the same {what}, never a second one."
            )
        return AccountingReceipt(remote_id=row.id, doc_number=row.doc_number, system=SYSTEM)

    def _create_once(self, model: type[_Row], request_id: str, prefix: str, build: Callable[[str], _Row]) -> _Row:
        """Like QuickBooks' requestid: a repeated request id answers with the first document."""
        for _ in range(5):
            existing = self._by_request(model, request_id)
            if existing is not None:
                return existing
            try:
                with self.db.session() as session:
                    count = session.scalar(sa.select(sa.func.count()).select_from(model)
                                           .where(model.account_id == self.account_id)) or 0
                    row = build(f"{prefix}{count + 1:06d}")
                    session.add(row)
                return row
            except IntegrityError:
                # A concurrent create took this request id (answer with it) or this number (next one).
                continue
        what = "invoice" if model is SandboxInvoice else "purchase order"
        raise UpstreamUnavailable(f"The sandbox accounting system could not number the {what}; try again.")

    def _by_request(self, model: type[_Row], request_id: str) -> _Row | None:
        with self.db.session() as session:
            return session.scalar(sa.select(model).where(model.account_id == self.account_id,
                                                         model.request_id == request_id))

    # -- sending (generate_invoice with send) ---------------------------------------------------------
    def send_invoice(self, remote_id: str, email: str | None, request_id: str) -> SentInvoice:
        """Marks the invoice sent (once per request id) and answers with its sandbox payment link."""
        from actions.context import SentInvoice

        if outage(self.db, self.account_id) == "unavailable":
            raise UpstreamUnavailable(
                "The accounting system is unavailable (sandbox outage switched on); nothing was sent. "
                "Replay the run once it is back.",
                retry_after=30,
            )
        send = self._send_once(remote_id, email, request_id)
        return SentInvoice(payment_link=f"{self.base_url}{PAY_PATH}{send.token}", sent_at=send.sent_at)

    def _send_once(self, remote_id: str, email: str | None, request_id: str) -> SandboxInvoiceSend:
        """Like QuickBooks' requestid on a send: a repeated request id answers with the first send."""
        for _ in range(3):
            with self.db.session() as session:
                existing = session.scalar(sa.select(SandboxInvoiceSend).where(
                    SandboxInvoiceSend.account_id == self.account_id, SandboxInvoiceSend.request_id == request_id))
                if existing is not None:
                    return existing
                invoice = session.get(SandboxInvoice, remote_id)
                if invoice is None or invoice.account_id != self.account_id:
                    raise Conflict(f"The sandbox accounting system has no invoice {remote_id} to send.")
            try:
                with self.db.session() as session:
                    row = SandboxInvoiceSend(account_id=self.account_id, invoice_id=remote_id,
                                             request_id=request_id, email=email, sent_at=self.clock())
                    session.add(row)
                return row
            except IntegrityError:
                continue  # a concurrent send with this request id won: answer with it
        raise UpstreamUnavailable("The sandbox accounting system could not send the invoice; try again.")

    def sends(self, remote_id: str | None = None) -> list[SandboxInvoiceSend]:
        """This account's sends (of one invoice), oldest first."""
        with self.db.session() as session:
            query = sa.select(SandboxInvoiceSend).where(SandboxInvoiceSend.account_id == self.account_id)
            if remote_id is not None:
                query = query.where(SandboxInvoiceSend.invoice_id == remote_id)
            return list(session.scalars(query.order_by(SandboxInvoiceSend.sent_at)))

    def count(self) -> int:
        with self.db.session() as session:
            return int(
                session.scalar(
                    sa.select(sa.func.count()).select_from(SandboxInvoice).where(
                        SandboxInvoice.account_id == self.account_id
                    )
                )
                or 0
            )

    # -- purchase orders (reorder_stock) -------------------------------------------------------------
    def create_purchase_order(self, request_id: str, order: PurchaseOrderDraft) -> AccountingReceipt:
        return self._created("purchase order", lambda: self._create_once(
            SandboxPurchaseOrder, request_id, PO_PREFIX,
            lambda number: SandboxPurchaseOrder(
                account_id=self.account_id, request_id=request_id, doc_number=number,
                vendor=order.vendor or DEFAULT_VENDOR, sku=order.sku, quantity=order.quantity,
                document={"technician_id": order.technician_id, "technician_name": order.technician_name,
                          "description": order.description,
                          "unit_cost": None if order.unit_cost is None else str(order.unit_cost)})))

    def purchase_order(self, request_id: str) -> SandboxPurchaseOrder | None:
        return self._by_request(SandboxPurchaseOrder, request_id)

    def purchase_orders(self) -> list[SandboxPurchaseOrder]:
        with self.db.session() as session:
            return list(session.scalars(
                sa.select(SandboxPurchaseOrder).where(SandboxPurchaseOrder.account_id == self.account_id)
                .order_by(SandboxPurchaseOrder.doc_number)))


def payment_page(db: Database, token: str) -> PaymentPage | None:
    """The invoice behind a sandbox payment link, or None for an unknown token."""
    with db.session() as session:
        row = session.execute(
            sa.select(SandboxInvoiceSend, SandboxInvoice)
            .join(SandboxInvoice, SandboxInvoice.id == SandboxInvoiceSend.invoice_id)
            .where(SandboxInvoiceSend.token == token)
        ).first()
        if row is None:
            return None
        send, invoice = row
        return PaymentPage(doc_number=invoice.doc_number, total=Decimal(invoice.total),
                           currency=str((invoice.document or {}).get("currency") or "USD"), email=send.email,
                           sent_at=send.sent_at)
