"""The sandbox accounting system: where generate_invoice puts invoices for sandbox tenants."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from actions.errors import UpstreamUnavailable
from connector.sandbox.remote import OUTAGE_MODES, SandboxAccount, SandboxInvoice

if TYPE_CHECKING:
    from actions.context import AccountingReceipt, InvoiceDraft
    from connector.db.session import Database

logger = logging.getLogger(__name__)

SYSTEM = "sandbox"
#: Sandbox accounting numbers its own invoices, per account (QuickBooks' auto DocNumber).
DOC_PREFIX = "SBX-"


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

    def __init__(self, db: Database, account_id: str) -> None:
        self.db = db
        self.account_id = account_id

    def create_invoice(self, request_id: str, draft: InvoiceDraft) -> AccountingReceipt:
        from actions.context import AccountingReceipt

        mode = outage(self.db, self.account_id)
        if mode == "unavailable":
            raise UpstreamUnavailable(
                "The accounting system is unavailable (sandbox outage switched on); "
                "nothing was created. Replay the run once it is back.",
                retry_after=30,
            )
        invoice = self._create_once(request_id, draft)
        if mode == "timeout_after_create":
            raise UpstreamUnavailable(
                "The accounting system timed out after accepting the invoice (sandbox outage); "
                "a replay will pick up the same invoice, never a second one."
            )
        return AccountingReceipt(remote_id=invoice.id, doc_number=invoice.doc_number, system=SYSTEM)

    def _create_once(self, request_id: str, draft: InvoiceDraft) -> SandboxInvoice:
        """Like QuickBooks' requestid: a repeated request id answers with the first invoice."""
        for _ in range(5):
            existing = self._find(request_id)
            if existing is not None:
                return existing
            try:
                with self.db.session() as session:
                    count = session.scalar(sa.select(sa.func.count()).select_from(SandboxInvoice)
                                           .where(SandboxInvoice.account_id == self.account_id)) or 0
                    row = SandboxInvoice(account_id=self.account_id, request_id=request_id,
                                         doc_number=f"{DOC_PREFIX}{count + 1:06d}", total=draft.total,
                                         document=_document(draft))
                    session.add(row)
                return row
            except IntegrityError:
                # A concurrent create took this request id (answer with it) or this number (next one).
                continue
        raise UpstreamUnavailable("The sandbox accounting system could not number the invoice; try again.")

    def _find(self, request_id: str) -> SandboxInvoice | None:
        with self.db.session() as session:
            return session.scalar(
                sa.select(SandboxInvoice).where(
                    SandboxInvoice.account_id == self.account_id, SandboxInvoice.request_id == request_id
                )
            )

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
