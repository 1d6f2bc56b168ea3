"""Action (fast): queues a postcard batch — eligibility per recipient, then Lob (sent by a job) or a CSV.

Fast, not heavy: this call only reads the tenant's customers and the consent ledger and writes the
batch (a few thousand rows is well under a second). Mailing through Lob is one HTTP call per card
and may wait for a future send date, so it never happens inside the call: a job sends the batch
once the call commits (or when its send date comes, from the periodic `send_postcards` job), and
re-checks every recipient's consent right before each card goes out. The Zap gets the batch id and
each recipient's status now, and the `postcard_batch_ready` trigger once the batch is out.

Eligibility, per recipient (the first that applies):

* unknown customer, or (ids given with a segment) outside the segment → `suppressed`;
* the consent ledger refuses mail for the purpose → `suppressed` with the ledger's reason
  (`opted_out`, `do_not_mail`, ...);
* no complete postal address → `address_undeliverable` (`incomplete_address`);
* already in a batch of the same campaign and send window → `duplicate` (`duplicate_of` names it);
* otherwise `queued` (Lob) or `exported` (CSV).

Each card's Lob idempotency key is derived from (tenant, campaign, customer, send window): the
same card asked for twice — a replayed call, a Zap that runs again, a second batch of the same
campaign — is mailed once, and Lob's own 24-hour replay window is backed by our own record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from actions.context import PostcardBatchDraft, PostcardLine
from actions.errors import Conflict, InputError
from actions.spec import ActionSpec, Weight
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from actions.context import Context, MailContact

#: Lob accepts a send date at most this far ahead.
MAX_SEND_AHEAD = timedelta(days=180)
MAX_RECIPIENTS = 5000
#: The CSV comes back inline up to this many rows (always downloadable from `csv_url`).
INLINE_CSV_ROWS = 100
#: The `postcard_batch_ready` item lists at most this many recipients (all are on the batch URL).
EVENT_RECIPIENTS = 100

#: PostcardMania (PCM Integrations Direct Mail API v3) recipient fields, then Backbone's consent columns.
PCM_COLUMNS = ("firstName", "lastName", "company", "address", "address2", "city", "state", "zipCode", "extRefNbr")
CONSENT_COLUMNS = ("customer_id", "purpose", "consent_basis", "marketing_mail_allowed",
                   "operational_mail_allowed", "last_service_date", "opt_out_url")
CSV_COLUMNS = PCM_COLUMNS + CONSENT_COLUMNS

# "12 Main St, Austin, TX 78701" or "12 Main St, Apt 4, Austin, TX 78701-1234"
_ONE_LINE = re.compile(r"^(?P<street>.+?),\s*(?P<city>[^,]+?),\s*(?P<state>[A-Za-z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)$")


class PostcardSegment(BaseModel):
    """Which customers: every criterion given must hold."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    last_service_before: date | None = Field(None, description="Last completed visit before this date (UTC), "
                                             "e.g. 2026-05-01 for customers not seen in a while.")
    last_service_after: date | None = Field(None, description="Last completed visit on or after this date (UTC).")
    job_types: list[str] = Field(default_factory=list, max_length=20,
                                 description="Customers who had at least one job of these types (maintenance, ...).")
    regions: list[str] = Field(default_factory=list, max_length=50,
                               description="Customers in these regions / states (e.g. TX).")


class FromAddress(BaseModel):
    """The return address printed on the card."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=40, description="Company or person name.")
    address_line1: str = Field(min_length=1, max_length=64, description="Street address.")
    address_line2: str | None = Field(None, max_length=64, description="Suite, unit.")
    address_city: str = Field(min_length=1, max_length=200, description="City.")
    address_state: str = Field(min_length=2, max_length=2, description="Two-letter state code.")
    address_zip: str = Field(pattern=r"^\d{5}(-\d{4})?$", description="ZIP or ZIP+4.")


class QueuePostcardInput(BaseModel):
    """Who gets the card, why, and what it looks like."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: Literal["marketing", "operational"] = Field(
        description="marketing (promotions: opt-outs and do-not-mail flags suppress) or operational (notices, "
        "reminders about booked work). Declared to Lob as use_type.")
    customer_ids: list[str] | None = Field(None, max_length=1000, description="Backbone customer ids. With a "
                                           "segment, only those matching it are mailed.")
    segment: PostcardSegment | None = Field(None, description="Pick customers by last service date, job type, "
                                            "region; an empty segment means every customer.")
    delivery: Literal["auto", "lob", "export"] = Field(
        "auto", description="lob sends through Lob; export makes a PostcardMania-ready CSV; auto: Lob when "
        "configured, else export.")
    campaign: str | None = Field(None, min_length=1, max_length=100, description="Campaign name: the same "
                                 "campaign, customer and send date is mailed once, however often it is queued.")
    front: str | None = Field(None, max_length=10000, description="Front artwork for Lob: HTML, a tmpl_ "
                              "template id or a file URL.")
    back: str | None = Field(None, max_length=10000, description="Back artwork for Lob (as front). Use "
                             "{{opt_out_url}} to print the opt-out link.")
    size: Literal["4x6", "6x9", "6x11"] = Field("4x6", description="Card size.")
    mail_type: Literal["usps_first_class", "usps_standard"] = Field(
        "usps_first_class", description="usps_standard is cheaper and slower, not for 4x6.")
    send_date: date | datetime | None = Field(
        None, union_mode="left_to_right", description="When Lob should mail it (at most 180 days ahead; a date "
        "means midnight UTC); empty: now.")
    from_address: FromAddress | None = Field(None, description="Return address.")
    merge_variables: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, max_length=50, description="Values for the artwork's {{variables}}; name and "
        "opt_out_url are filled per recipient.")
    description: str | None = Field(None, max_length=255, description="Internal description shown in Lob.")


class PostcardRecipientResult(BaseModel):
    """One recipient and what happened to them."""

    customer_id: str = Field(description="Backbone customer id.")
    name: str = Field(description="Customer name (empty when unknown).")
    status: str = Field(description="queued (Lob will mail it), exported (in the CSV), suppressed, "
                        "address_undeliverable or duplicate; later sent or failed.")
    reason: str | None = Field(None, description="Why it is not mailed: opted_out, do_not_mail, "
                               "unknown_customer, outside_segment, incomplete_address, ...")
    last_service_at: datetime | None = Field(None, description="The customer's last completed visit (UTC).")
    opt_out_url: str | None = Field(None, description="The opt-out link printed on this card.")
    duplicate_of: str | None = Field(None, description="The batch that already holds this card.")


class QueuePostcardOutput(BaseModel):
    """The batch and every recipient's status."""

    batch_id: str = Field(description="Backbone id of the batch.")
    purpose: str = Field(description="marketing or operational.")
    delivery: str = Field(description="lob or export.")
    status: str = Field(description="sending (Lob, now), scheduled (Lob, at the send date), sent (nothing left "
                        "to send) or exported.")
    campaign: str = Field(description="The campaign the cards count against.")
    send_date: datetime | None = Field(None, description="When Lob mails it (UTC); empty: now.")
    counts: dict[str, int] = Field(description="Recipients per status.")
    recipients: list[PostcardRecipientResult] = Field(description="Every recipient, in order.")
    batch_url: str = Field(description="API URL of the batch with its current statuses.")
    csv_url: str | None = Field(None, description="API URL of the CSV (export only).")
    csv: str | None = Field(None, description="The CSV itself, when it has at most 100 rows.")


# --- pure helpers -------------------------------------------------------------------------------

def mail_key(tenant_id: str, campaign: str, customer_id: str, send_window: str) -> str:
    """The Lob idempotency key of one card (≤ 64 characters, no personal data)."""
    digest = hashlib.sha256("\x1f".join((tenant_id, campaign, customer_id, send_window)).encode()).hexdigest()
    return f"bb_pc_{digest[:48]}"


def postal_address(contact: MailContact) -> dict[str, str] | None:
    """Lob's address fields for a contact, or None when no complete US address can be made."""
    street, city, state, zip_code = contact.address, contact.city, contact.state, contact.postal_code
    if street and not (city and state and zip_code):
        match = _ONE_LINE.match(street.strip())
        if match:
            street, city = match["street"], city or match["city"]
            state, zip_code = state or match["state"].upper(), zip_code or match["zip"]
    if not (street and city and state and zip_code):
        return None
    return {"name": contact.name[:40], "address_line1": street.strip()[:64], "address_city": city.strip(),
            "address_state": state.strip().upper(), "address_zip": zip_code.strip(), "address_country": "US"}


def in_segment(contact: MailContact, segment: PostcardSegment) -> bool:
    """Whether the contact matches every criterion of the segment."""
    last = contact.last_service_at.date() if contact.last_service_at else None
    if segment.last_service_before and (last is None or last >= segment.last_service_before):
        return False
    if segment.last_service_after and (last is None or last < segment.last_service_after):
        return False
    if segment.job_types and not set(segment.job_types) & set(contact.job_types):
        return False
    return not (segment.regions and (contact.state or "").upper() not in {r.upper() for r in segment.regions})


def _send_date(data: QueuePostcardInput, now: datetime) -> datetime | None:
    value = data.send_date
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InputError("send_date", "Give a time zone (e.g. 2026-12-01T15:00:00Z) or a date alone.")
        when = value.astimezone(UTC)
    else:
        when = datetime.combine(value, time(0), tzinfo=UTC)
    if when.date() < now.date():  # earlier today is fine: it means now
        raise InputError("send_date", "The send date is in the past: leave it empty to mail now.")
    if when > now + MAX_SEND_AHEAD:
        raise InputError("send_date", "Lob mails at most 180 days ahead: choose an earlier send date.")
    return when if when > now else None


def _check(data: QueuePostcardInput) -> None:
    if not data.customer_ids and data.segment is None:
        raise InputError("customer_ids", "Give customer_ids, a segment, or both.")
    if data.mail_type == "usps_standard" and data.size == "4x6":
        raise InputError("mail_type", "usps_standard is not available for 4x6 cards: use usps_first_class.")


def _delivery(ctx: Context, data: QueuePostcardInput) -> str:
    lob = ctx.mail.lob_configured()
    if data.delivery == "lob" and not lob:
        raise Conflict("Lob is not configured for this account: use delivery export (a PostcardMania CSV).")
    delivery = "lob" if data.delivery == "lob" or (data.delivery == "auto" and lob) else "export"
    if delivery == "lob":
        for name in ("front", "back"):
            if not getattr(data, name):
                raise InputError(name, f"Lob needs the card's {name}: HTML, a tmpl_ template id or a file URL.")
    return delivery


def _recipients(ctx: Context, data: QueuePostcardInput) -> list[tuple[str, MailContact | None, str | None]]:
    """(customer id, contact, reason it is out of the batch) for every recipient, in order."""
    out: list[tuple[str, MailContact | None, str | None]] = []
    if data.customer_ids:
        ids = list(dict.fromkeys(data.customer_ids))
        found = {c.customer_id: c for c in ctx.mail.contacts(ids)}
        for customer_id in ids:
            contact = found.get(customer_id)
            if contact is None:
                out.append((customer_id, None, "unknown_customer"))
            elif data.segment is not None and not in_segment(contact, data.segment):
                out.append((customer_id, contact, "outside_segment"))
            else:
                out.append((customer_id, contact, None))
    elif data.segment is not None:
        out = [(c.customer_id, c, None) for c in ctx.mail.contacts(None) if in_segment(c, data.segment)]
    if len(out) > MAX_RECIPIENTS:
        field = "customer_ids" if data.customer_ids else "segment"
        raise InputError(field, f"{len(out)} recipients: at most {MAX_RECIPIENTS} per batch. Narrow the segment.")
    return out


def _line(ctx: Context, data: QueuePostcardInput, delivery: str, campaign: str, window: str,
          item: tuple[str, MailContact | None, str | None]) -> tuple[PostcardLine, str | None]:
    """The recipient's line, and the consent basis for the CSV."""
    customer_id, contact, reason = item
    if contact is None or reason is not None:
        return PostcardLine(customer_id, "suppressed", reason, contact.name if contact else ""), None
    base = PostcardLine(customer_id, "queued", None, contact.name, last_service_at=contact.last_service_at)
    decision = ctx.consent.decision(customer_id, "mail", data.purpose)
    if not decision.allowed:
        return replace(base, status="suppressed", reason=decision.reason), None
    address = postal_address(contact)
    if address is None:
        return replace(base, status="address_undeliverable", reason="incomplete_address"), None
    key = mail_key(ctx.tenant_id, campaign, customer_id, window)
    earlier = ctx.mail.mailed_in(key)
    if earlier is not None:
        return replace(base, status="duplicate", reason="already_in_batch", duplicate_of=earlier,
                       address=address), None
    status = "queued" if delivery == "lob" else "exported"
    return replace(base, status=status, address=address, mail_key=key,
                   opt_out_url=ctx.mail.opt_out_url(customer_id)), decision.reason


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


def export_csv(ctx: Context, purpose: str, lines: list[tuple[PostcardLine, str | None]]) -> str:
    """The PostcardMania-ready CSV: exported recipients only, with their consent flags."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for line, basis in lines:
        if line.status != "exported" or line.address is None:
            continue
        first, last = _split_name(line.name)
        marketing = ctx.consent.decision(line.customer_id, "mail", "marketing").allowed
        operational = ctx.consent.decision(line.customer_id, "mail", "operational").allowed
        writer.writerow({
            "firstName": first, "lastName": last, "company": "", "address": line.address["address_line1"],
            "address2": line.address.get("address_line2", ""), "city": line.address["address_city"],
            "state": line.address["address_state"], "zipCode": line.address["address_zip"],
            "extRefNbr": line.mail_key, "customer_id": line.customer_id, "purpose": purpose,
            "consent_basis": basis, "marketing_mail_allowed": str(marketing).lower(),
            "operational_mail_allowed": str(operational).lower(),
            "last_service_date": line.last_service_at.date().isoformat() if line.last_service_at else "",
            "opt_out_url": line.opt_out_url,
        })
    return buffer.getvalue()


def counts_of(statuses: list[str]) -> dict[str, int]:
    """Recipients per status, and the total."""
    counts: dict[str, int] = {"total": len(statuses)}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def ready_event(*, batch_id: str, purpose: str, delivery: str, status: str, campaign: str,
                send_date: datetime | None, occurred_at: datetime, recipients: list[dict[str, Any]],
                batch_url: str, csv_url: str | None) -> CanonicalEvent:
    """The `postcard.batch_ready` event of a batch: once per batch (its id is the batch's)."""
    return CanonicalEvent(
        event_id=f"postcard.batch_ready:{batch_id}", type=EventType.POSTCARD_BATCH_READY, occurred_at=occurred_at,
        source="backbone", source_id=batch_id, subject_id=batch_id,
        data={"batch_id": batch_id, "purpose": purpose, "delivery": delivery, "status": status,
              "campaign": campaign, "send_date": send_date.isoformat() if send_date else None,
              "counts": counts_of([r["status"] for r in recipients]),
              "recipients": recipients[:EVENT_RECIPIENTS], "recipients_truncated": len(recipients) > EVENT_RECIPIENTS,
              "batch_url": batch_url, "csv_url": csv_url},
    )


# --- the action ---------------------------------------------------------------------------------

def run(ctx: Context, data: QueuePostcardInput) -> QueuePostcardOutput:
    """Decides every recipient, keeps the batch, and hands a Lob batch to the sending job.

    Raises:
        InputError: Neither customers nor a segment; a send date out of range; Lob without artwork;
            a mail type the size does not allow; too many recipients.
        Conflict: delivery lob without a Lob account; direct mail not available.
    """
    _check(data)
    now = ctx.clock()
    send_date = _send_date(data, now)
    delivery = _delivery(ctx, data)
    campaign = data.campaign or f"run:{ctx.idempotency_key}"
    window = (send_date or now).date().isoformat()
    lines = [_line(ctx, data, delivery, campaign, window, item) for item in _recipients(ctx, data)]
    batch_id = ctx.mail.new_batch_id()
    batch_url = ctx.mail.batch_url(batch_id)
    queued = any(line.status == "queued" for line, _ in lines)
    if delivery == "export":
        status, csv_text, csv_url = "exported", export_csv(ctx, data.purpose, lines), f"{batch_url}/csv"
    else:
        status, csv_text, csv_url = ("scheduled" if send_date else "sending") if queued else "sent", None, None
    ctx.mail.save_batch(PostcardBatchDraft(
        id=batch_id, purpose=data.purpose, delivery=delivery, status=status, campaign=campaign, send_window=window,
        send_date=send_date, due_at=send_date or now, size=data.size, mail_type=data.mail_type, front=data.front,
        back=data.back, from_address=data.from_address.model_dump(exclude_none=True) if data.from_address else None,
        merge_variables=dict(data.merge_variables), description=data.description, csv=csv_text,
        lines=tuple(line for line, _ in lines),
    ))
    results = [PostcardRecipientResult(customer_id=line.customer_id, name=line.name, status=line.status,
                                       reason=line.reason, last_service_at=line.last_service_at,
                                       opt_out_url=line.opt_out_url, duplicate_of=line.duplicate_of)
               for line, _ in lines]
    if status in ("exported", "sent"):  # ready now: nothing waits for Lob
        ctx.events.emit(ready_event(
            batch_id=batch_id, purpose=data.purpose, delivery=delivery, status=status, campaign=campaign,
            send_date=send_date, occurred_at=now, batch_url=batch_url, csv_url=csv_url,
            recipients=[{"customer_id": r.customer_id, "status": r.status, "reason": r.reason, "lob_id": None}
                        for r in results]))
    rows = sum(1 for r in results if r.status == "exported")
    return QueuePostcardOutput(
        batch_id=batch_id, purpose=data.purpose, delivery=delivery, status=status, campaign=campaign,
        send_date=send_date, counts=counts_of([r.status for r in results]), recipients=results,
        batch_url=batch_url, csv_url=csv_url,
        csv=csv_text if csv_text is not None and rows <= INLINE_CSV_ROWS else None,
    )


SAMPLE = QueuePostcardOutput(
    batch_id="3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
    purpose="marketing",
    delivery="lob",
    status="sending",
    campaign="spring-tune-up-2027",
    send_date=None,
    counts={"total": 2, "queued": 1, "suppressed": 1},
    recipients=[
        PostcardRecipientResult(customer_id="8b1e2d3c4f5a69788796a5b4c3d2e1f0", name="Dana Whitfield",
                                status="queued", last_service_at=datetime(2026, 4, 14, 15, 30, tzinfo=UTC),
                                opt_out_url="https://backbone.example.com/opt-out/eyJ0IjoiYWNtZSJ9.sig"),
        PostcardRecipientResult(customer_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0", name="Luis Ortega",
                                status="suppressed", reason="opted_out"),
    ],
    batch_url="https://backbone.example.com/api/v1/postcards/batches/3f2a9c1d5e7b4a6c8d0e2f4a6b8c0d1e",
)

ACTION = ActionSpec(
    key="queue_postcard",
    noun="Postcard Batch",
    label="Queue Postcard",
    help_text="Mails postcards through Lob, or exports a PostcardMania CSV, to customers picked by id or segment; "
    "opted-out customers come back as suppressed.",
    input=QueuePostcardInput,
    output=QueuePostcardOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
