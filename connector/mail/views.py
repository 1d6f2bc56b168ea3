"""Blueprints: the public opt-out page printed on postcards, and the postcard batch API.

* `GET /opt-out/<token>` asks "stop marketing postcards?"; `POST` (CSRF-protected) records
  `granted=False, source=opt_out_url` for marketing mail in the consent ledger. Nothing is
  written on GET, so a mail scanner or a link preview never opts anyone out.
* `GET /api/v1/postcards/batches/<id>` (bearer token): the batch and every recipient's status.
* `GET /api/v1/postcards/batches/<id>/csv` (bearer token): the PostcardMania CSV of an export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, render_template

from connector.accounts.users import runtime
from connector.auth.guard import current_principal, require_token
from connector.consent import SqlConsentLedger
from connector.db.models import Customer, PostcardBatch, PostcardRecipient, Tenant
from connector.errors import NotFoundError
from connector.extensions import api_limit
from connector.mail.mailroom import batch_url
from connector.mail.optout import subject_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.mail.optout import OptOutSubject

bp = Blueprint("mail", __name__)
api = Blueprint("mail_api", __name__, url_prefix="/api/v1/postcards")
api_limit(api)


def _page(template: str, code: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), code


def _subject(token: str) -> tuple[OptOutSubject, str, str] | None:
    """The token's tenant and customer, the company name and the customer's name; None if invalid."""
    subject = subject_of(runtime().settings, token)
    if subject is None:
        return None
    with runtime().db.session() as session:
        company = session.scalar(sa.select(Tenant.name).where(Tenant.id == subject.tenant_id))
        name = session.scalar(sa.select(Customer.name).where(Customer.tenant_id == subject.tenant_id,
                                                              Customer.id == subject.customer_id))
    if company is None:
        return None
    return subject, company, name or ""


def _invalid() -> tuple[str, int]:
    return _page("error.html", 404, status=404, title="Link not recognised",
                 message="This opt-out link is not valid. Check that it was typed exactly as printed on the card, "
                 "or contact the company that mailed it.")


@bp.get("/opt-out/<token>")
def opt_out_form(token: str) -> tuple[str, int]:
    found = _subject(token)
    if found is None:
        return _invalid()
    return _page("mail/opt_out.html", company=found[1], name=found[2], done=False)


@bp.post("/opt-out/<token>")
def opt_out_confirm(token: str) -> tuple[str, int]:
    found = _subject(token)
    if found is None:
        return _invalid()
    subject, company, name = found
    rt = runtime()
    with rt.db.session() as session:
        ledger = SqlConsentLedger(session, subject.tenant_id, rt.clock)
        newest = ledger.newest(subject.customer_id, "mail", "marketing")
        if newest is None or newest.granted:  # an opt-out already on record is not repeated
            ledger.record(subject.customer_id, "mail", "marketing", granted=False, source="opt_out_url",
                          evidence=f"Opt-out link on a postcard, confirmed at {rt.clock().isoformat()} "
                          f"(request {g.get('request_id', '-')}).")
    return _page("mail/opt_out.html", company=company, name=name, done=True)


def _batch_body(batch: PostcardBatch, rows: list[PostcardRecipient]) -> dict[str, Any]:
    rt = runtime()
    counts: dict[str, int] = {"total": len(rows)}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    url = batch_url(rt, batch.id)
    return {
        "batch_id": batch.id, "purpose": batch.purpose, "delivery": batch.delivery, "status": batch.status,
        "campaign": batch.campaign, "send_date": batch.send_date.isoformat() if batch.send_date else None,
        "created_at": batch.created_at.isoformat(), "ready_at": batch.ready_at.isoformat() if batch.ready_at else None,
        "run_id": batch.run_id, "counts": counts, "batch_url": url,
        "csv_url": f"{url}/csv" if batch.csv is not None else None,
        "recipients": [{"customer_id": r.customer_id, "name": r.name, "status": r.status, "reason": r.reason,
                        "lob_id": r.lob_id, "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                        "duplicate_of": r.duplicate_of, "detail": r.detail} for r in rows],
    }


def _load(session: Session, batch_id: str) -> PostcardBatch:
    batch = session.scalar(sa.select(PostcardBatch).where(PostcardBatch.id == batch_id,
                                                          PostcardBatch.tenant_id == current_principal().tenant_id))
    if batch is None:
        raise NotFoundError(f"No postcard batch {batch_id} in this account.", field="batch_id")
    return batch


@api.get("/batches/<id:batch_id>")
@require_token("actions")
def get_batch(batch_id: str) -> Response:
    with runtime().db.session() as session:
        batch = _load(session, batch_id)
        rows = list(session.scalars(sa.select(PostcardRecipient).where(PostcardRecipient.batch_id == batch.id)
                                    .order_by(PostcardRecipient.position)))
        return jsonify(_batch_body(batch, rows))


@api.get("/batches/<id:batch_id>/csv")
@require_token("actions")
def get_batch_csv(batch_id: str) -> Response:
    with runtime().db.session() as session:
        batch = _load(session, batch_id)
        if batch.csv is None:
            raise NotFoundError("This batch was sent through Lob: it has no CSV.", field="batch_id")
        return Response(batch.csv, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="postcards-{batch.id}.csv"'})
