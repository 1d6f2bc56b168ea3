"""Action (fast): the customer notification ladder, each stage sent at most once per visit.

Stages, in the order a visit climbs them: confirmation, eta_window, on_the_way, arrived, completed,
invoice (with the payment link). Each stage has a built-in template per channel (SMS body, email
subject and body) that a tenant may override on the Notifications page; templates are plain text with
`{placeholder}`s from a fixed set (`VARIABLES`), times rendered in the tenant's local time.

Sending: SMS through Twilio and email through SMTP when Backbone is configured for them (`ctx.messenger`);
otherwise the message is *composed*: returned for the next Zap step and recorded as such.

At most once: before anything is sent, a ledger row (tenant, job, stage, sequence) is claimed
(`ctx.notifications.claim`); a second call for the same stage finds it and answers `already_sent`.
Twilio has no idempotency key, so a send whose outcome is unknown (timeout, 5xx) is never retried:
the row stays `unknown` and counts as sent. The one exception to "once per stage" is eta_window: when
the ETA slips past the window last sent, a new window is sent under the next sequence number.
"""

from __future__ import annotations

import enum
import string
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from actions.context import MessageOutcomeUnknown, MessageRefused, NotificationRecord
from actions.errors import Conflict, InputError, NotFound, UpstreamUnavailable
from actions.spec import ActionSpec, Weight
from triggers.canonical import JobSnapshot, JobStatus, UtcDateTime

if TYPE_CHECKING:
    from decimal import Decimal

    from actions.context import Context, MessageReceipt, StoredInvoice


class Stage(enum.StrEnum):
    """The rungs of the ladder, in order."""

    CONFIRMATION = "confirmation"
    ETA_WINDOW = "eta_window"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    INVOICE = "invoice"


class Channel(enum.StrEnum):
    """How the customer is reached."""

    SMS = "sms"
    EMAIL = "email"


#: What a tenant may write per stage: the SMS text, the email subject and the email body.
TEMPLATE_FIELDS: dict[str, str] = {
    "sms": "SMS text",
    "email_subject": "Email subject",
    "email_body": "Email body",
}

#: The placeholders templates may use, and what each becomes (times in the company's local time zone).
VARIABLES: dict[str, str] = {
    "customer_name": 'The customer\'s name ("there" when the job has none, as in "Hi there").',
    "company_name": "Your company's name, as registered in Backbone.",
    "technician_name": 'The assigned technician\'s name ("your technician" when none is assigned).',
    "job_type": "The kind of work (repair, maintenance, install, ...).",
    "address": "The service address.",
    "date": "The day of the visit, local (Tue Nov 24).",
    "window_start": "Start of the arrival window, local time (9:00 AM).",
    "window_end": "End of the arrival window, local time (11:00 AM).",
    "eta": "Expected arrival, local time (9:40 AM).",
    "invoice_number": "The invoice number (invoice stage only).",
    "amount": "The invoice total with its currency ($234.19) (invoice stage only).",
    "due_date": "The invoice's due day, local (Thu Dec 24) (invoice stage only).",
    "payment_link": "Where the customer pays online (invoice stage only).",
}
INVOICE_VARIABLES = frozenset({"invoice_number", "amount", "due_date", "payment_link"})

DEFAULT_TEMPLATES: dict[Stage, dict[str, str]] = {
    Stage.CONFIRMATION: {
        "sms": "Hi {customer_name}, {company_name} here: your {job_type} visit is booked for {date} between "
               "{window_start} and {window_end}.",
        "email_subject": "Your {company_name} visit on {date}",
        "email_body": "Hi {customer_name},\n\nYour {job_type} visit is booked for {date} between {window_start} and "
                      "{window_end} at {address}.\n\nSee you then,\n{company_name}",
    },
    Stage.ETA_WINDOW: {
        "sms": "Hi {customer_name}, {company_name} here: {technician_name} should arrive between {window_start} and "
               "{window_end} on {date}.",
        "email_subject": "{technician_name} arrives between {window_start} and {window_end}",
        "email_body": "Hi {customer_name},\n\n{technician_name} should arrive between {window_start} and "
                      "{window_end} on {date}.\n\n{company_name}",
    },
    Stage.ON_THE_WAY: {
        "sms": "Hi {customer_name}, {company_name} here: {technician_name} is on the way and should arrive around "
               "{eta}.",
        "email_subject": "{technician_name} is on the way",
        "email_body": "Hi {customer_name},\n\n{technician_name} is on the way and should arrive around {eta}.\n\n"
                      "{company_name}",
    },
    Stage.ARRIVED: {
        "sms": "Hi {customer_name}, {company_name} here: {technician_name} has arrived at {address}.",
        "email_subject": "{technician_name} has arrived",
        "email_body": "Hi {customer_name},\n\n{technician_name} has arrived at {address}.\n\n{company_name}",
    },
    Stage.COMPLETED: {
        "sms": "Hi {customer_name}, {company_name} here: your {job_type} visit is complete. Thank you!",
        "email_subject": "Your {job_type} visit is complete",
        "email_body": "Hi {customer_name},\n\n{technician_name} has finished your {job_type} visit. Thank you for "
                      "choosing us.\n\n{company_name}",
    },
    Stage.INVOICE: {
        "sms": "Hi {customer_name}, {company_name} here: invoice {invoice_number} for {amount} is ready. Pay online: "
               "{payment_link}",
        "email_subject": "Invoice {invoice_number} from {company_name}",
        "email_body": "Hi {customer_name},\n\nInvoice {invoice_number} for {amount} is due {due_date}.\n\nPay online: "
                      "{payment_link}\n\nThank you,\n{company_name}",
    },
}

#: Ledger statuses that hold a stage: it is not sent again.
HOLDING = frozenset({"sending", "sent", "unknown", "composed"})
#: How far the job has come, by status; a stage below what the job has passed is stale.
_PASSED: dict[JobStatus, frozenset[Stage]] = {
    JobStatus.ARRIVED: frozenset({Stage.CONFIRMATION, Stage.ETA_WINDOW, Stage.ON_THE_WAY}),
    JobStatus.COMPLETED: frozenset({Stage.CONFIRMATION, Stage.ETA_WINDOW, Stage.ON_THE_WAY, Stage.ARRIVED}),
}
CURRENCY_SIGNS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£"}
MAX_SMS = 1600  # Twilio's limit for one message body


# --- templates: checking and rendering -----------------------------------------------------------

def template_field(stage: str, name: str) -> str:
    """The name a template field has on the page and in errors: ``eta_window.sms``."""
    return f"{stage}.{name}"


def check_template(stage: Stage, name: str, text: str) -> None:
    """Raises InputError naming ``<stage>.<field>`` for an unknown or misplaced placeholder.

    Args:
        stage: The stage the template is for.
        name: sms, email_subject or email_body.
        text: The template.
    """
    field = template_field(stage, name)
    if name not in TEMPLATE_FIELDS:
        raise InputError(field, f"Unknown template field {name!r}: use one of {', '.join(TEMPLATE_FIELDS)}.")
    limit = 200 if name == "email_subject" else (MAX_SMS if name == "sms" else 10_000)
    if len(text) > limit:
        raise InputError(field, f"At most {limit} characters.")
    if name == "email_subject" and "\n" in text:
        raise InputError(field, "An email subject is one line.")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InputError(field, f"{exc}: write {{{{ and }}}} for literal braces.") from exc
    for _literal, placeholder, spec, conversion in parts:
        if placeholder is None:
            continue
        if placeholder not in VARIABLES:
            raise InputError(field, f"Unknown placeholder {{{placeholder}}}: use one of "
                                    + ", ".join(f"{{{v}}}" for v in VARIABLES) + ".")
        if placeholder in INVOICE_VARIABLES and stage != Stage.INVOICE:
            raise InputError(field, f"{{{placeholder}}} is only known in the invoice template.")
        if spec or conversion:
            raise InputError(field, f"{{{placeholder}}} takes no format: write it as {{{placeholder}}}.")


def render(text: str, values: dict[str, str]) -> str:
    """Fills a checked template (``{{``/``}}`` are literal braces)."""
    out: list[str] = []
    for literal, placeholder, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if placeholder is not None:
            out.append(values.get(placeholder, ""))
    return "".join(out)


def local_zone(name: str) -> ZoneInfo:
    """The tenant's zone (UTC when the name is unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock_time(value: datetime, zone: ZoneInfo) -> str:
    """9:05 AM, in `zone`."""
    local = value.astimezone(zone)
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def day(value: datetime, zone: ZoneInfo) -> str:
    """Tue Nov 24, in `zone`."""
    local = value.astimezone(zone)
    return f"{local:%a %b} {local.day}"


def money(amount: Decimal, currency: str) -> str:
    """$1,234.50 for the common currencies, else 1,234.50 SEK."""
    figure = f"{amount:,.2f}"
    sign = CURRENCY_SIGNS.get(currency.upper())
    return f"{sign}{figure}" if sign else f"{figure} {currency.upper()}"


# --- input and output ------------------------------------------------------------------------------

class NotifyCustomerInput(BaseModel):
    """The job, the stage and, for the arrival stages, the ETA."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    job_id: str = Field(min_length=1, max_length=64, description="Backbone id of the job (from a trigger).")
    stage: Stage = Field(description="confirmation, eta_window, on_the_way, arrived, completed or invoice.")
    channel: Channel | None = Field(None, description="sms or email; empty: SMS when the customer has a phone "
                                    "(and has not opted out of it), else email.")
    eta: UtcDateTime | None = Field(None, description="Expected arrival (eta_window, on_the_way); empty uses the "
                                    "route plan's, else the booking's.")
    eta_window_start: UtcDateTime | None = Field(None, description="Start of the arrival window to promise "
                                                 "(eta_window); empty: the ETA minus the window minutes.")
    eta_window_end: UtcDateTime | None = Field(None, description="End of the arrival window to promise "
                                               "(eta_window); empty: the ETA plus the window minutes.")
    window_minutes: int = Field(30, ge=5, le=240, description="Half-width of the window made around an ETA, "
                                "in minutes.")
    payment_link: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$",
                                     description="Payment link for the invoice stage; empty uses the invoice's.")


class NotifyCustomerOutput(BaseModel):
    """What happened to the stage's message, and the message itself."""

    status: str = Field(description="sent, already_sent (this stage went out before), suppressed (consent) or "
                        "composed (Backbone cannot send on this channel: send it in the next step).")
    notification_id: str | None = Field(description="Backbone id of the ledger row (empty when suppressed "
                                        "before anything was recorded).")
    job_id: str = Field(description="The job.")
    stage: str = Field(description="The stage.")
    sequence: int = Field(description="1, or for eta_window the number of the window (2 after a slipped ETA).")
    channel: str = Field(description="sms or email.")
    to: str = Field(description="The customer's phone (E.164) or email address.")
    subject: str | None = Field(description="Email subject (empty for SMS).")
    body: str = Field(description="The message text.")
    window_start: datetime | None = Field(description="Start of the promised window (UTC), for eta_window.")
    window_end: datetime | None = Field(description="End of the promised window (UTC), for eta_window.")
    provider: str | None = Field(description="twilio or smtp when Backbone sent it.")
    provider_message_id: str | None = Field(description="Twilio's message sid, or the email's Message-ID.")
    provider_status: str | None = Field(description="The provider's status (queued, accepted; unknown when it "
                                        "did not answer: the message may have gone out and is not sent again).")
    reason: str | None = Field(description="Why it was suppressed (opted_out, ...) or not sent again.")
    sent_at: datetime | None = Field(description="When it was sent or composed (UTC).")


# --- the ladder ------------------------------------------------------------------------------------

class _Message:
    """A composed message before it is claimed."""

    def __init__(self, channel: Channel, to: str, subject: str | None, body: str) -> None:
        self.channel, self.to, self.subject, self.body = channel, to, subject, body


def _contact(job: JobSnapshot, channel: Channel) -> str | None:
    return job.customer.phone if channel == Channel.SMS else job.customer.email


def _pick_channel(ctx: Context, job: JobSnapshot, wanted: Channel | None) -> tuple[Channel, str | None]:
    """The channel to use and, when consent forbids every candidate, the reason (suppressed)."""
    if wanted is not None:
        if not _contact(job, wanted):
            what = "phone number" if wanted == Channel.SMS else "email address"
            raise InputError("channel", f"The customer has no {what} on file: choose the other channel.")
        candidates = [wanted]
    else:
        candidates = [c for c in (Channel.SMS, Channel.EMAIL) if _contact(job, c)]
        if not candidates:
            raise InputError("job_id", "The job's customer has no phone number or email address on file.")
    allowed: list[Channel] = []
    first_reason: str | None = None
    for channel in candidates:
        if job.customer.id is None:
            allowed.append(channel)
            continue
        decision = ctx.consent.decision(job.customer.id, channel.value, "operational")
        if decision.allowed:
            allowed.append(channel)
        elif first_reason is None:
            first_reason = decision.reason
    if not allowed:
        return candidates[0], first_reason or "opted_out"
    # Among the channels the customer accepts, one Backbone can send on comes first (SMS before email).
    sendable = [c for c in allowed if ctx.messenger.can_send(c.value)]
    return (sendable or allowed)[0], None


def _check_ladder(job: JobSnapshot, stage: Stage) -> None:
    status = job.status
    if status == JobStatus.CANCELLED:
        raise Conflict(f"Job {job.job_id} is cancelled: no {stage.value} message is sent.")
    if stage in _PASSED.get(status, frozenset()):
        raise Conflict(f"The job is already {status.value}: a {stage.value} message now would be stale.")
    if stage == Stage.CONFIRMATION and job.scheduled_start is None:
        raise InputError("stage", "The job has no appointment yet: there is nothing to confirm.")
    if stage == Stage.COMPLETED and status != JobStatus.COMPLETED:
        raise InputError("stage", f"The job is not completed yet (status: {status.value}).")


def _eta(ctx: Context, job: JobSnapshot, data: NotifyCustomerInput) -> tuple[datetime, datetime, datetime] | None:
    """(eta, window start, window end) from the input, else the plan or booking; None when nothing gives one."""
    half = timedelta(minutes=data.window_minutes)
    if (data.eta_window_start is None) != (data.eta_window_end is None):
        missing = "eta_window_end" if data.eta_window_end is None else "eta_window_start"
        raise InputError(missing, "Give both ends of the arrival window, or neither.")
    if data.eta_window_start is not None and data.eta_window_end is not None:
        start, end = data.eta_window_start, data.eta_window_end
        if end <= start:
            raise InputError("eta_window_end", "The arrival window must end after it starts.")
        return data.eta or start + (end - start) / 2, start, end
    if data.eta is not None:
        return data.eta, data.eta - half, data.eta + half
    planned = ctx.notifications.planned_eta(job.job_id)
    if planned is not None:
        return planned.eta, planned.window_start, planned.window_end
    return None


def _values(ctx: Context, job: JobSnapshot, stage: Stage, eta: tuple[datetime, datetime, datetime] | None,
            invoice: StoredInvoice | None, payment_link: str | None) -> dict[str, str]:
    zone = local_zone(ctx.timezone)
    values = {
        "customer_name": job.customer.name or "there",
        "company_name": ctx.notifications.company_name(),
        "technician_name": job.technician.name or "your technician",
        "job_type": job.job_type,
        "address": job.customer.address or "your address",
    }
    if stage == Stage.CONFIRMATION and job.scheduled_start is not None:
        values["date"] = day(job.scheduled_start, zone)
        values["window_start"] = clock_time(job.scheduled_start, zone)
        values["window_end"] = clock_time(job.scheduled_end or job.scheduled_start, zone)
    elif eta is not None:
        values["eta"] = clock_time(eta[0], zone)
        values["date"] = day(eta[1], zone)
        values["window_start"] = clock_time(eta[1], zone)
        values["window_end"] = clock_time(eta[2], zone)
    elif job.scheduled_start is not None:
        values["date"] = day(job.scheduled_start, zone)
    if invoice is not None:
        values["invoice_number"] = invoice.number
        values["amount"] = money(invoice.total, invoice.currency)
        values["due_date"] = day(invoice.due_at, zone)
        values["payment_link"] = payment_link or ""
    return values


def _missing_field(placeholder: str) -> str:
    return {"eta": "eta", "window_start": "eta", "window_end": "eta", "date": "eta",
            "payment_link": "payment_link"}.get(placeholder, "stage")


def compose(ctx: Context, stage: Stage, channel: Channel, to: str, values: dict[str, str]) -> _Message:
    """Renders the tenant's template for the stage (else the built-in one) with `values`.

    Raises:
        InputError: The template needs a value this job cannot give (no ETA, no payment link).
    """
    own = ctx.notifications.templates(stage.value)
    names = ("sms",) if channel == Channel.SMS else ("email_subject", "email_body")
    rendered: dict[str, str] = {}
    for name in names:
        text = own.get(name) or DEFAULT_TEMPLATES[stage][name]
        for _literal, placeholder, _spec, _conversion in string.Formatter().parse(text):
            if placeholder is not None and not values.get(placeholder):
                field = _missing_field(placeholder)
                raise InputError(field, f"The {stage.value} message needs {{{placeholder}}}, which this job "
                                        f"does not have" + (": enter it." if field != "stage" else "."))
        rendered[name] = render(text, values)
    if channel == Channel.SMS:
        return _Message(channel, to, None, rendered["sms"][:MAX_SMS])
    return _Message(channel, to, rendered["email_subject"], rendered["email_body"])


def _output(record: NotificationRecord, status: str, reason: str | None = None) -> NotifyCustomerOutput:
    return NotifyCustomerOutput(
        status=status, notification_id=record.id, job_id=record.job_id, stage=record.stage,
        sequence=record.sequence, channel=record.channel, to=record.recipient, subject=record.subject,
        body=record.body, window_start=record.window_start, window_end=record.window_end, provider=record.provider,
        provider_message_id=record.provider_message_id, provider_status=record.provider_status,
        reason=reason, sent_at=record.sent_at,
    )


def _slot(history: list[NotificationRecord], stage: Stage,
          eta: tuple[datetime, datetime, datetime] | None) -> tuple[int, NotificationRecord | None]:
    """The sequence to claim, or the record that already holds the stage."""
    holding = [r for r in history if r.status in HOLDING]
    last = history[-1] if history else None
    if holding:
        latest = holding[-1]
        slipped = (stage == Stage.ETA_WINDOW and eta is not None and latest.window_end is not None
                   and eta[0] > latest.window_end)
        if not slipped:
            return latest.sequence, latest
    if last is None:
        return 1, None
    # A failed or suppressed row is claimed again; after a holding one comes the next window.
    return (last.sequence if last.status not in HOLDING else last.sequence + 1), None


def _already(record: NotificationRecord) -> NotifyCustomerOutput:
    why = {"unknown": "The provider did not confirm the earlier send; it may have gone out, so it is not "
                      "repeated.", "composed": "Composed earlier for the Zap to send.",
           "sending": "Being sent by another run."}.get(record.status)
    return _output(record, "already_sent", why)


def run(ctx: Context, data: NotifyCustomerInput) -> NotifyCustomerOutput:
    """Sends (or composes) the stage's message, once per visit.

    Raises:
        NotFound: No such job in this account.
        InputError: The stage does not fit the job yet (no appointment, not completed, no invoice), the
            customer has no contact on the channel, a template needs a value the job lacks, or the
            provider refused the recipient.
        Conflict: The job is cancelled, or already past the stage (a stale message).
        UpstreamUnavailable: The provider is throttling or down and took nothing; replay later.
    """
    job = ctx.store.get_job(data.job_id)
    if job is None:
        raise NotFound("job_id", f"No job {data.job_id} in this account.")
    stage = data.stage
    given = data.eta is not None or data.eta_window_start is not None or data.eta_window_end is not None
    eta = _eta(ctx, job, data) if stage in (Stage.ETA_WINDOW, Stage.ON_THE_WAY) or given else None
    # What was sent stays sent: a repeat answers already_sent even once the job has moved on.
    history = ctx.notifications.history(job.job_id, stage.value)
    sequence, holder = _slot(history, stage, eta)
    if holder is not None:
        return _already(holder)
    _check_ladder(job, stage)
    if stage == Stage.ETA_WINDOW and eta is None:
        raise InputError("eta", "No ETA for this job (no route plan, no booking): map the ETA from the "
                                "Technician En Route trigger.")
    invoice = None
    payment_link = data.payment_link
    if stage == Stage.INVOICE:
        invoice = ctx.store.find_invoice_for_job(job.job_id)
        if invoice is None:
            raise InputError("stage", "The job has no invoice yet: generate it first.")
        payment_link = payment_link or invoice.payment_link or (invoice.details or {}).get("payment_link")

    channel, suppressed = _pick_channel(ctx, job, data.channel)
    to = _contact(job, channel) or ""
    message = compose(ctx, stage, channel, to, _values(ctx, job, stage, eta, invoice, payment_link))
    window = (eta[1], eta[2]) if stage == Stage.ETA_WINDOW and eta else (None, None)
    draft = NotificationRecord(
        id="", job_id=job.job_id, stage=stage.value, sequence=sequence, channel=channel.value, recipient=to,
        subject=message.subject, body=message.body, status="sending", created_at=ctx.clock(),
        window_start=window[0], window_end=window[1], eta=eta[0] if eta else None,
    )
    record = ctx.notifications.claim(draft, ctx.run_id)
    if record is None:  # another run claimed the slot between our read and our claim
        taken = [r for r in ctx.notifications.history(job.job_id, stage.value) if r.sequence == sequence]
        return _already(taken[0]) if taken else _already(draft)
    if suppressed is not None:
        record = ctx.notifications.settle(record.id, "suppressed", detail=suppressed)
        return _output(record, "suppressed", suppressed)
    if not ctx.messenger.can_send(channel.value):
        return _output(ctx.notifications.settle(record.id, "composed"), "composed")
    return _send(ctx, record, message)


def _send(ctx: Context, record: NotificationRecord, message: _Message) -> NotifyCustomerOutput:
    """Sends a claimed message; from here on nothing raises once the message may have left."""
    receipt: MessageReceipt
    try:
        if message.channel == Channel.SMS:
            receipt = ctx.messenger.send_sms(message.to, message.body)
        else:
            receipt = ctx.messenger.send_email(message.to, message.subject or "", message.body)
    except MessageOutcomeUnknown as exc:
        settled = ctx.notifications.settle(record.id, "unknown", detail=str(exc))
        return _output(settled, "sent", "The provider did not confirm the send; it may have gone out, so it is "
                                        "not repeated.")
    except MessageRefused as exc:
        if exc.opted_out:
            settled = ctx.notifications.settle(record.id, "suppressed", detail="carrier_opt_out")
            return _output(settled, "suppressed", "carrier_opt_out")
        ctx.notifications.settle(record.id, "failed", detail=exc.message)
        if exc.retryable:
            raise UpstreamUnavailable(f"The message was not sent: {exc.message}",
                                      retry_after=exc.retry_after) from exc
        raise InputError("channel", f"The message was refused: {exc.message}") from exc
    return _output(ctx.notifications.settle(record.id, "sent", receipt=receipt), "sent")


SAMPLE = NotifyCustomerOutput(
    status="sent",
    notification_id="3e1f0a9c7b5d4e2f8a6c4b2d0e9f7a5c",
    job_id="0d3c5e7f9a1b4c6d8e0f2a4b6c8d0e1f",
    stage="eta_window",
    sequence=1,
    channel="sms",
    to="+15125550142",
    subject=None,
    body="Hi Dana Whitfield, Acme Heating here: Marcus Reyes should arrive between 8:40 AM and 9:40 AM on Tue Nov 24.",
    window_start=datetime(2026, 11, 24, 14, 40, tzinfo=UTC),
    window_end=datetime(2026, 11, 24, 15, 40, tzinfo=UTC),
    provider="twilio",
    provider_message_id="SM5f1c2b3a4d5e6f708192a3b4c5d6e7f8",
    provider_status="queued",
    reason=None,
    sent_at=datetime(2026, 11, 24, 14, 2, tzinfo=UTC),
)

ACTION = ActionSpec(
    key="notify_customer",
    noun="Customer Notification",
    label="Notify Customer",
    help_text="Texts or emails the customer one step of the visit (confirmation, ETA window, on the way, arrived, "
    "completed, invoice), once per visit, honouring opt-outs.",
    input=NotifyCustomerInput,
    output=NotifyCustomerOutput,
    sample=SAMPLE,
    weight=Weight.FAST,
    run=run,
)
