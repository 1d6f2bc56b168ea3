"""queue_postcard with fakes: eligibility per recipient, keys, send dates, the CSV, the ready event."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from actions.context import MailContact
from actions.errors import Conflict, InputError
from actions.queue_postcard import (
    QueuePostcardInput,
    in_segment,
    mail_key,
    postal_address,
    run,
)
from tests.fakes import NOW, FakeConsent, FakeMailroom, make_context

ART = {"front": "<html>Spring tune-up</html>", "back": "<html>Opt out: {{opt_out_url}}</html>"}


def _contact(cid: str, name: str = "Dana Whitfield", *, last: datetime | None = None, state: str = "TX",
             types: tuple[str, ...] = ("maintenance",), address: str | None = "12 Oak St") -> MailContact:
    return MailContact(customer_id=cid, name=name, address=address, city="Austin", state=state,
                       postal_code="78701", last_service_at=last, job_types=types)


def _setup(*contacts: MailContact, lob: bool = True, flags: dict[str, dict[str, bool]] | None = None):  # type: ignore[no-untyped-def]
    ctx, _store, _acct, events = make_context()
    mail = FakeMailroom({c.customer_id: c for c in contacts}, lob=lob)
    consent = FakeConsent(customers={c.customer_id: (flags or {}).get(c.customer_id, {}) for c in contacts})
    return dataclasses.replace(ctx, mail=mail, consent=consent), mail, consent, events


def test_marketing_batch_suppresses_opted_out_and_flagged_customers() -> None:
    ctx, mail, consent, events = _setup(_contact("c1"), _contact("c2", "Luis Ortega"), _contact("c3", "Ann Lee"),
                                        flags={"c3": {"marketing": False}})
    consent.record("c2", "mail", "marketing", granted=False, source="opt_out_url", evidence="token")
    out = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1", "c2", "c3", "nope"], **ART))
    assert [(r.customer_id, r.status, r.reason) for r in out.recipients] == [
        ("c1", "queued", None), ("c2", "suppressed", "opted_out"), ("c3", "suppressed", "do_not_mail"),
        ("nope", "suppressed", "unknown_customer")]
    assert out.delivery == "lob" and out.status == "sending"
    assert out.counts == {"total": 4, "queued": 1, "suppressed": 3}
    assert out.recipients[0].opt_out_url == "https://backbone.test/opt-out/c1"
    (batch,) = mail.batches
    assert batch.lines[0].mail_key == mail_key("t1", "run:key-1", "c1", NOW.date().isoformat())
    assert batch.lines[0].address == {"name": "Dana Whitfield", "address_line1": "12 Oak St",
                                      "address_city": "Austin", "address_state": "TX", "address_zip": "78701",
                                      "address_country": "US"}
    assert not events.emitted  # ready only once the job has sent it


def test_operational_mail_ignores_marketing_opt_outs() -> None:
    ctx, _mail, consent, _events = _setup(_contact("c1"))
    consent.record("c1", "mail", "marketing", granted=False, source="support", evidence="call")
    out = run(ctx, QueuePostcardInput(purpose="operational", customer_ids=["c1"], **ART))
    assert out.recipients[0].status == "queued"


def test_segment_and_ids_together_keep_only_matching_customers() -> None:
    recent = NOW - timedelta(days=20)
    old = NOW - timedelta(days=400)
    ctx, _mail, _consent, _events = _setup(_contact("c1", last=old), _contact("c2", last=recent),
                                           _contact("c3", last=old, state="OK"), _contact("c4", last=None))
    segment = {"last_service_before": (NOW - timedelta(days=180)).date().isoformat(), "regions": ["tx"]}
    out = run(ctx, QueuePostcardInput.model_validate({"purpose": "marketing", "segment": segment, **ART}))
    assert [r.customer_id for r in out.recipients] == ["c1"]
    out = run(ctx, QueuePostcardInput.model_validate(
        {"purpose": "marketing", "segment": segment, "customer_ids": ["c1", "c2"], "campaign": "x", **ART}))
    assert [(r.customer_id, r.status, r.reason) for r in out.recipients] == [
        ("c1", "queued", None), ("c2", "suppressed", "outside_segment")]


def test_segment_by_job_type_and_last_service_after() -> None:
    contact = _contact("c1", last=datetime(2026, 6, 1, tzinfo=UTC), types=("install", "repair"))
    from actions.queue_postcard import PostcardSegment

    assert in_segment(contact, PostcardSegment(job_types=["repair"], last_service_after=date(2026, 6, 1)))
    assert not in_segment(contact, PostcardSegment(job_types=["maintenance"]))
    assert not in_segment(contact, PostcardSegment(last_service_after=date(2026, 6, 2)))
    assert not in_segment(_contact("c2", last=None), PostcardSegment(last_service_before=date(2026, 6, 2)))


def test_the_same_campaign_and_window_is_mailed_once() -> None:
    ctx, _mail, _consent, _events = _setup(_contact("c1"), _contact("c2"))
    first = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], campaign="spring", **ART))
    again = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1", "c2"], campaign="spring", **ART))
    assert [(r.status, r.duplicate_of) for r in again.recipients] == [("duplicate", first.batch_id), ("queued", None)]
    later = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], campaign="spring",
                                        send_date=NOW.date() + timedelta(days=30), **ART))
    assert later.recipients[0].status == "queued" and later.status == "scheduled"  # another send window


def test_incomplete_addresses_are_per_recipient_and_one_line_addresses_are_parsed() -> None:
    one_line = MailContact("c2", "Ann Lee", "9 Elm Rd, Round Rock, TX 78664", None, None, None, None)
    ctx, _mail, _consent, _events = _setup(_contact("c1", address=None), one_line)
    out = run(ctx, QueuePostcardInput(purpose="operational", customer_ids=["c1", "c2"], **ART))
    assert [(r.status, r.reason) for r in out.recipients] == [("address_undeliverable", "incomplete_address"),
                                                                ("queued", None)]
    assert postal_address(one_line) == {"name": "Ann Lee", "address_line1": "9 Elm Rd", "address_city": "Round Rock",
                                        "address_state": "TX", "address_zip": "78664", "address_country": "US"}


def test_export_makes_a_postcardmania_csv_with_consent_flags_and_fires_ready() -> None:
    ctx, _mail, consent, events = _setup(_contact("c1", last=datetime(2026, 3, 2, tzinfo=UTC)),
                                         _contact("c2", "Luis Ortega"), lob=False)
    consent.record("c2", "mail", "marketing", granted=False, source="form", evidence="form")
    out = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1", "c2"]))
    assert out.delivery == "export" and out.status == "exported"
    assert out.csv_url == "https://backbone.test/api/v1/postcards/batches/batch1/csv"
    rows = list(csv.DictReader(io.StringIO(out.csv or "")))
    assert len(rows) == 1  # suppressed before export
    row = rows[0]
    assert (row["firstName"], row["lastName"], row["address"], row["city"], row["state"], row["zipCode"]) == (
        "Dana", "Whitfield", "12 Oak St", "Austin", "TX", "78701")
    assert (row["purpose"], row["consent_basis"], row["marketing_mail_allowed"], row["operational_mail_allowed"],
            row["last_service_date"], row["opt_out_url"]) == (
        "marketing", "default_existing_customer", "true", "true", "2026-03-02", "https://backbone.test/opt-out/c1")
    (event,) = events.emitted
    assert event.event_id == "postcard.batch_ready:batch1" and event.data["status"] == "exported"
    assert event.data["counts"] == {"total": 2, "exported": 1, "suppressed": 1}


def test_a_lob_batch_with_nobody_to_mail_is_ready_at_once() -> None:
    ctx, _mail, consent, events = _setup(_contact("c1"))
    consent.record("c1", "mail", "marketing", granted=False, source="form", evidence="form")
    out = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], **ART))
    assert out.status == "sent" and events.emitted[0].data["status"] == "sent"


@pytest.mark.parametrize(("changes", "field"), [
    ({}, "customer_ids"),
    ({"customer_ids": ["c1"], "front": None}, "front"),
    ({"customer_ids": ["c1"], "back": None}, "back"),
    ({"customer_ids": ["c1"], "mail_type": "usps_standard"}, "mail_type"),
    ({"customer_ids": ["c1"], "send_date": (NOW + timedelta(days=181)).isoformat()}, "send_date"),
    ({"customer_ids": ["c1"], "send_date": (NOW - timedelta(days=2)).date().isoformat()}, "send_date"),
    ({"customer_ids": ["c1"], "send_date": "2026-12-01T10:00:00"}, "send_date"),
])
def test_invalid_requests_name_the_field(changes: dict[str, object], field: str) -> None:
    ctx, _mail, _consent, _events = _setup(_contact("c1"))
    with pytest.raises(InputError) as caught:
        run(ctx, QueuePostcardInput.model_validate({"purpose": "marketing", **ART, **changes}))
    assert caught.value.field == field


def test_lob_requested_but_not_configured_is_a_conflict() -> None:
    ctx, _mail, _consent, _events = _setup(_contact("c1"), lob=False)
    with pytest.raises(Conflict, match="Lob is not configured"):
        run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], delivery="lob", **ART))


def test_a_future_send_date_is_kept_and_today_means_now() -> None:
    ctx, mail, _consent, _events = _setup(_contact("c1"))
    when = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)
    out = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], send_date=when, **ART))
    assert out.send_date == when and mail.batches[-1].due_at == when and mail.batches[-1].send_window == "2027-01-15"
    out = run(ctx, QueuePostcardInput(purpose="marketing", customer_ids=["c1"], send_date=NOW.date(), campaign="t",
                                      **ART))
    assert out.send_date is None and out.status == "sending"
