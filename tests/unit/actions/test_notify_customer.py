"""notify_customer: templates, local time and the ladder rules, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from actions.context import MessageOutcomeUnknown, MessageRefused, PlannedEta, StoredInvoice
from actions.errors import Conflict, InputError, NotFound, UpstreamUnavailable
from actions.notify_customer import (
    DEFAULT_TEMPLATES,
    NotifyCustomerInput,
    Stage,
    check_template,
    clock_time,
    day,
    local_zone,
    money,
    render,
    run,
)
from tests.fakes import NOW, FakeConsent, FakeMessenger, FakeNotifications, FakeStore, make_context
from triggers.canonical import CustomerRef, JobSnapshot, JobStatus, TechnicianRef

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 9:00 AM in Chicago


def job(status: JobStatus = JobStatus.SCHEDULED, **changes: object) -> JobSnapshot:
    base = JobSnapshot(
        job_id="j1", source="sandbox", source_id="J-1", status=status, job_type="repair", priority="P2",
        customer=CustomerRef(id="c1", name="Dana Whitfield", email="dana@example.com", phone="+15125550142",
                             address="4812 Avenue H, Austin, TX 78751"),
        technician=TechnicianRef(id="t1", name="Marcus Reyes"),
        scheduled_start=START, scheduled_end=START + timedelta(hours=2),
    )
    return base.model_copy(update=changes)


def setup(snapshot: JobSnapshot | None = None, *, channels: tuple[str, ...] = ("sms", "email"),
          consent: FakeConsent | None = None):  # type: ignore[no-untyped-def]
    store = FakeStore(jobs={"j1": snapshot or job()})
    ctx, _store, _accounting, _events = make_context(store)
    ctx.timezone = "America/Chicago"
    ctx.messenger = messenger = FakeMessenger(channels=channels)
    ctx.notifications = ledger = FakeNotifications()
    ctx.consent = consent or FakeConsent(customers={"c1": {}})
    return ctx, messenger, ledger


def notify(ctx, **data: object):  # type: ignore[no-untyped-def]
    return run(ctx, NotifyCustomerInput.model_validate({"job_id": "j1", **data}))


# --- templates and local time -----------------------------------------------------------------------

def test_times_are_rendered_in_the_tenants_zone() -> None:
    zone = local_zone("America/Chicago")
    assert clock_time(START, zone) == "9:00 AM"
    assert clock_time(datetime(2026, 11, 24, 18, 5, tzinfo=UTC), zone) == "12:05 PM"
    assert clock_time(datetime(2026, 11, 25, 5, 30, tzinfo=UTC), zone) == "11:30 PM"
    assert day(datetime(2026, 11, 25, 5, 30, tzinfo=UTC), zone) == "Tue Nov 24"  # still the 24th in Chicago
    assert clock_time(START, local_zone("Not/AZone")) == "3:00 PM"  # an unknown zone renders UTC
    assert money(Decimal("1234.5"), "USD") == "$1,234.50" and money(Decimal("12"), "SEK") == "12.00 SEK"


def test_every_default_template_passes_its_own_check() -> None:
    for stage, fields in DEFAULT_TEMPLATES.items():
        for name, text in fields.items():
            check_template(stage, name, text)


@pytest.mark.parametrize(("text", "problem"), [
    ("Hi {customer}", "Unknown placeholder {customer}"),
    ("Pay {payment_link}", "only known in the invoice template"),
    ("At {eta:%H}", "takes no format"),
    ("At {eta!r}", "takes no format"),
    ("Broken {eta", "literal braces"),
    ("Broken }", "literal braces"),
])
def test_a_bad_placeholder_is_an_input_error_naming_the_template_field(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        check_template(Stage.ON_THE_WAY, "sms", text)
    assert caught.value.field == "on_the_way.sms"
    assert problem in caught.value.message


def test_literal_braces_and_limits() -> None:
    check_template(Stage.ARRIVED, "sms", "Code {{1234}} for {customer_name}")
    assert render("Code {{1234}} for {customer_name}", {"customer_name": "Dana"}) == "Code {1234} for Dana"
    with pytest.raises(InputError, match="one line") as caught:
        check_template(Stage.INVOICE, "email_subject", "Two\nlines")
    assert caught.value.field == "invoice.email_subject"
    with pytest.raises(InputError, match="At most 1600"):
        check_template(Stage.ARRIVED, "sms", "x" * 1601)


def test_confirmation_renders_the_booking_in_local_time() -> None:
    ctx, messenger, _ledger = setup()
    out = notify(ctx, stage="confirmation")
    assert out.status == "sent" and out.channel == "sms" and out.to == "+15125550142"
    assert out.body == ("Hi Dana Whitfield, Acme Heating here: your repair visit is booked for Tue Nov 24 between "
                        "9:00 AM and 11:00 AM.")
    assert messenger.sent == [("sms", "+15125550142", None, out.body)]
    assert (out.provider, out.provider_message_id, out.provider_status) == ("twilio", "M1", "queued")


def test_a_tenant_template_overrides_the_default_for_its_stage_only() -> None:
    ctx, _messenger, ledger = setup()
    ledger.own_templates = {"confirmation": {"sms": "{company_name}: see you {date} at {window_start}, "
                                                    "{customer_name}!"}}
    assert notify(ctx, stage="confirmation").body == "Acme Heating: see you Tue Nov 24 at 9:00 AM, Dana Whitfield!"
    out = notify(ctx, stage="eta_window", eta="2026-11-24T15:06:00Z")
    assert out.body.startswith("Hi Dana Whitfield, Acme Heating here: Marcus Reyes should arrive between 8:36 AM")


def test_email_has_a_subject_and_missing_names_fall_back() -> None:
    snapshot = job(customer=CustomerRef(id="c1", email="dana@example.com"), technician=TechnicianRef())
    ctx, messenger, _ledger = setup(snapshot)
    out = notify(ctx, stage="on_the_way", eta="2026-11-24T15:40:00Z")
    assert out.channel == "email" and out.to == "dana@example.com"  # no phone: email
    assert out.subject == "your technician is on the way"
    assert out.body.startswith("Hi there,\n\nyour technician is on the way and should arrive around 9:40 AM.")
    assert messenger.sent[0][:3] == ("email", "dana@example.com", "your technician is on the way")


# --- once per stage -----------------------------------------------------------------------------------

def test_each_stage_is_sent_once_and_a_repeat_answers_already_sent() -> None:
    ctx, messenger, _ledger = setup()
    first = notify(ctx, stage="confirmation")
    again = notify(ctx, stage="confirmation", channel="email")
    assert again.status == "already_sent" and again.notification_id == first.notification_id
    assert again.channel == "sms" and again.body == first.body  # what was sent, not what would be
    assert len(messenger.sent) == 1


def test_an_eta_that_slips_past_the_window_sent_opens_the_next_window() -> None:
    ctx, messenger, ledger = setup(job(JobStatus.DISPATCHED))
    first = notify(ctx, stage="eta_window", eta="2026-11-24T15:06:00Z")  # window 14:36-15:36
    assert (first.sequence, first.window_start, first.window_end) == (
        1, datetime(2026, 11, 24, 14, 36, tzinfo=UTC), datetime(2026, 11, 24, 15, 36, tzinfo=UTC))
    inside = notify(ctx, stage="eta_window", eta="2026-11-24T15:30:00Z")  # still inside: nothing new
    assert inside.status == "already_sent" and inside.sequence == 1
    earlier = notify(ctx, stage="eta_window", eta="2026-11-24T14:00:00Z")  # early is not a slip
    assert earlier.status == "already_sent"
    slipped = notify(ctx, stage="eta_window", eta="2026-11-24T16:10:00Z")
    assert slipped.status == "sent" and slipped.sequence == 2
    assert "between 9:40 AM and 10:40 AM" in slipped.body
    assert notify(ctx, stage="eta_window", eta="2026-11-24T16:30:00Z").status == "already_sent"
    assert len(messenger.sent) == 2
    assert [r.sequence for r in ledger.history("j1", "eta_window")] == [1, 2]


def test_a_window_from_the_zap_is_used_as_given() -> None:
    ctx, _messenger, _ledger = setup(job(JobStatus.EN_ROUTE))
    out = notify(ctx, stage="eta_window", eta_window_start="2026-11-24T16:00:00Z",
                 eta_window_end="2026-11-24T18:00:00Z")
    assert (out.window_start, out.window_end) == (datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
                                                  datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    # Only the window given: the ETA is its middle (17:00), so a new window starting 17:30 is a slip.
    again = notify(ctx, stage="eta_window", eta_window_start="2026-11-24T17:30:00Z",
                   eta_window_end="2026-11-24T19:30:00Z")
    assert again.status == "sent" and again.sequence == 2


def test_without_an_eta_the_plan_or_booking_gives_the_window() -> None:
    ctx, _messenger, ledger = setup()
    ledger.eta = PlannedEta(eta=START, window_start=START - timedelta(minutes=30),
                            window_end=START + timedelta(minutes=30), source="plan")
    out = notify(ctx, stage="eta_window")
    assert "between 8:30 AM and 9:30 AM" in out.body
    ctx, _messenger, ledger = setup()
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="eta_window")
    assert caught.value.field == "eta"


@pytest.mark.parametrize(("data", "field"), [
    ({"eta_window_start": "2026-11-24T16:00:00Z"}, "eta_window_end"),
    ({"eta_window_end": "2026-11-24T16:00:00Z"}, "eta_window_start"),
    ({"eta_window_start": "2026-11-24T16:00:00Z", "eta_window_end": "2026-11-24T15:00:00Z"}, "eta_window_end"),
])
def test_a_half_or_backwards_window_names_the_field(data: dict[str, str], field: str) -> None:
    ctx, _messenger, _ledger = setup()
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="eta_window", **data)
    assert caught.value.field == field


# --- consent, composing, provider answers ------------------------------------------------------------

def test_an_sms_opt_out_falls_back_to_email_and_an_explicit_sms_is_suppressed() -> None:
    consent = FakeConsent(customers={"c1": {}})
    consent.record("c1", "sms", "operational", granted=False, source="support", evidence="asked by phone")
    ctx, messenger, ledger = setup(consent=consent)
    out = notify(ctx, stage="confirmation", channel="sms")
    assert out.status == "suppressed" and out.reason == "opted_out" and messenger.sent == []
    out = notify(ctx, stage="confirmation")  # the suppressed row gives its slot up
    assert out.status == "sent" and out.channel == "email"
    assert [r.status for r in ledger.history("j1", "confirmation")] == ["sent"]


def test_a_customer_opted_out_of_every_channel_is_suppressed() -> None:
    consent = FakeConsent(customers={"c1": {}})
    for channel in ("sms", "email"):
        consent.record("c1", channel, "operational", granted=False, source="form", evidence="preferences page")
    ctx, messenger, _ledger = setup(consent=consent)
    out = notify(ctx, stage="confirmation")
    assert (out.status, out.channel, out.reason) == ("suppressed", "sms", "opted_out")
    assert messenger.sent == []


def test_not_configured_composes_the_message_for_the_next_step_once() -> None:
    ctx, _messenger, _ledger = setup(channels=())
    out = notify(ctx, stage="confirmation")
    assert out.status == "composed" and out.provider is None and out.body.startswith("Hi Dana Whitfield")
    assert out.sent_at == NOW
    again = notify(ctx, stage="confirmation")
    assert again.status == "already_sent" and again.reason == "Composed earlier for the Zap to send."


def test_the_default_channel_prefers_one_backbone_can_send_on() -> None:
    ctx, messenger, _ledger = setup(channels=("email",))
    out = notify(ctx, stage="confirmation")
    assert (out.status, out.channel) == ("sent", "email") and messenger.sent[0][0] == "email"
    ctx, _messenger, _ledger = setup(channels=("email",))
    assert notify(ctx, stage="confirmation", channel="sms").status == "composed"


def test_an_unanswered_send_counts_as_sent_and_is_never_repeated() -> None:
    ctx, messenger, _ledger = setup()
    messenger.fail_with = MessageOutcomeUnknown("Twilio did not answer (timeout).")
    out = notify(ctx, stage="confirmation")
    assert (out.status, out.provider_status) == ("sent", "unknown") and "may have gone out" in (out.reason or "")
    again = notify(ctx, stage="confirmation")
    assert again.status == "already_sent" and "may have gone out" in (again.reason or "")
    assert messenger.sent == []


def test_a_throttled_send_fails_retryably_and_a_later_call_sends_it() -> None:
    ctx, messenger, ledger = setup()
    messenger.fail_with = MessageRefused("Twilio is throttling Backbone (429).", retryable=True, retry_after=3)
    with pytest.raises(UpstreamUnavailable) as caught:
        notify(ctx, stage="confirmation")
    assert caught.value.retry_after == 3
    assert [r.status for r in ledger.history("j1", "confirmation")] == ["failed"]
    assert notify(ctx, stage="confirmation").status == "sent"
    assert len(messenger.sent) == 1


def test_a_refused_number_is_an_input_error_and_a_carrier_opt_out_is_suppressed() -> None:
    ctx, messenger, _ledger = setup()
    messenger.fail_with = MessageRefused("Twilio error 21211: The 'To' number is not a valid phone number.",
                                         retryable=False)
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="confirmation")
    assert caught.value.field == "channel" and "21211" in caught.value.message
    messenger.fail_with = MessageRefused("Twilio error 21610: unsubscribed", retryable=False, opted_out=True)
    out = notify(ctx, stage="confirmation")
    assert (out.status, out.reason) == ("suppressed", "carrier_opt_out")


# --- the ladder ------------------------------------------------------------------------------------------

def test_unknown_job_and_unknown_stage() -> None:
    ctx, _messenger, _ledger = setup()
    with pytest.raises(NotFound):
        run(ctx, NotifyCustomerInput(job_id="nope", stage=Stage.CONFIRMATION))
    with pytest.raises(ValidationError) as caught:
        NotifyCustomerInput.model_validate({"job_id": "j1", "stage": "tomorrow"})
    assert caught.value.errors()[0]["loc"] == ("stage",)


@pytest.mark.parametrize(("status", "stage"), [
    (JobStatus.CANCELLED, "confirmation"),
    (JobStatus.ARRIVED, "on_the_way"),
    (JobStatus.ARRIVED, "eta_window"),
    (JobStatus.COMPLETED, "arrived"),
])
def test_stale_or_cancelled_stages_are_refused(status: JobStatus, stage: str) -> None:
    ctx, messenger, _ledger = setup(job(status))
    with pytest.raises(Conflict):
        notify(ctx, stage=stage, eta="2026-11-24T15:00:00Z")
    assert messenger.sent == []


def test_stage_preconditions_name_the_field() -> None:
    ctx, _messenger, _ledger = setup(job(JobStatus.CREATED, scheduled_start=None, scheduled_end=None))
    with pytest.raises(InputError, match="nothing to confirm") as caught:
        notify(ctx, stage="confirmation")
    assert caught.value.field == "stage"
    with pytest.raises(InputError, match="not completed") as caught:
        notify(ctx, stage="completed")
    with pytest.raises(InputError, match="no invoice") as caught:
        notify(ctx, stage="invoice")
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="on_the_way")  # no ETA anywhere for {eta}
    assert caught.value.field == "eta"
    nobody = job(customer=CustomerRef(id="c1", name="Dana"))
    ctx, _messenger, _ledger = setup(nobody)
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="confirmation")
    assert caught.value.field == "job_id"
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="confirmation", channel="email")
    assert caught.value.field == "channel"


def _invoice(link: str | None) -> StoredInvoice:
    return StoredInvoice(id="inv1", number="INV-004812", job_id="j1", customer_id="c1", status="sent",
                         currency="USD", lines=(), subtotal=Decimal("216.34"), tax=Decimal("17.85"),
                         total=Decimal("234.19"), issued_at=NOW, due_at=NOW + timedelta(days=30), source="sandbox",
                         source_id="R1", payment_link=link)


def test_invoice_stage_carries_the_amount_and_payment_link() -> None:
    ctx, _messenger, _ledger = setup(job(JobStatus.COMPLETED, completed_at=NOW))
    ctx.store.invoices.append(_invoice("https://pay.example.com/i/4812"))  # type: ignore[attr-defined]
    out = notify(ctx, stage="invoice", channel="email")
    assert out.subject == "Invoice INV-004812 from Acme Heating"
    assert "Invoice INV-004812 for $234.19 is due Thu Dec 24." in out.body
    assert "Pay online: https://pay.example.com/i/4812" in out.body
    assert notify(ctx, stage="completed").body.endswith("visit is complete. Thank you!")


def test_invoice_without_a_payment_link_asks_for_one() -> None:
    ctx, _messenger, _ledger = setup(job(JobStatus.COMPLETED, completed_at=NOW))
    ctx.store.invoices.append(_invoice(None))  # type: ignore[attr-defined]
    with pytest.raises(InputError) as caught:
        notify(ctx, stage="invoice")
    assert caught.value.field == "payment_link"
    out = notify(ctx, stage="invoice", payment_link="https://pay.example.com/x")
    assert out.body.endswith("Pay online: https://pay.example.com/x")
