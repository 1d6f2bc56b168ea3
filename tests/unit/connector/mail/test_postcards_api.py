"""queue_postcard through the API on both backends, with Lob emulated on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from connector.config import LobSettings
from connector.consent import SqlConsentLedger
from connector.db.models import ConsentEntry, Customer, Job, PostcardBatch
from connector.mail.lob import IDEMPOTENCY_HEADER
from connector.mail.send import send_due
from tests.conftest import csrf_token
from tests.emulators.lob import LobEmulator
from tests.factories import bearer, issue_token

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

BASE_URL = "http://backbone.test"
ART = {"front": "<html><h1>Spring tune-up: $79</h1></html>", "back": "<html>Stop these: {{opt_out_url}}</html>"}


@pytest.fixture
def lob() -> Iterator[LobEmulator]:
    with LobEmulator() as emulator:
        yield emulator  # type: ignore[misc]


@pytest.fixture
def settings(settings: Settings, lob: LobEmulator) -> Settings:
    return settings.model_copy(update={"base_url": BASE_URL,
                                       "lob": LobSettings(api_key=lob.api_key, api_url=lob.url)})


def customer(runtime: Runtime, tenant_id: str, name: str, *, street: str = "12 Oak St",
             marketing: bool = True, completed_days_ago: int | None = None) -> str:
    with runtime.db.session() as session:
        row = Customer(tenant_id=tenant_id, name=name, address=street, city="Austin", region="TX",
                       postal_code="78701", mail_consent_marketing=marketing, mail_consent_operational=True)
        session.add(row)
        session.flush()
        if completed_days_ago is not None:
            done = runtime.clock() - timedelta(days=completed_days_ago)
            session.add(Job(tenant_id=tenant_id, customer_id=row.id, job_type="maintenance", status="completed",
                            status_changed_at=done, completed_at=done))
        return row.id


def queue(client: Any, token: str, body: dict[str, Any], key: str) -> Any:
    return client.post("/api/v1/actions/queue_postcard", json=body,
                       headers={**bearer(token), "Idempotency-Key": key})


def statuses(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(r["customer_id"], r["status"], r["reason"]) for r in body["recipients"]]


def opt_out(runtime: Runtime, tenant_id: str, customer_id: str) -> None:
    with runtime.db.session() as session:
        SqlConsentLedger(session, tenant_id, runtime.clock).record(
            customer_id, "mail", "marketing", granted=False, source="support", evidence="asked by phone")


def test_marketing_batch_suppresses_the_opted_out_and_mails_the_rest_once(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any, lob: LobEmulator) -> None:
    ada = customer(runtime, tenant.tenant_id, "Ada Park")
    bo = customer(runtime, tenant.tenant_id, "Bo Chen")
    cy = customer(runtime, tenant.tenant_id, "Cy Diaz")
    opt_out(runtime, tenant.tenant_id, bo)
    body = {"purpose": "marketing", "customer_ids": [ada, bo, cy], "campaign": "spring-2027", **ART,
            "merge_variables": {"offer": "$79"}}
    response = queue(client, token, body, "zap-1")
    assert response.status_code == 200, response.text
    first = response.json
    assert first["delivery"] == "lob" and first["status"] == "sending"
    assert statuses(first) == [(ada, "queued", None), (bo, "suppressed", "opted_out"), (cy, "queued", None)]
    worker.drain()

    calls = lob.requests_to("/v1/postcards", "POST")
    assert len(calls) == 2 and len(lob.created) == 2
    keys = [c.headers[IDEMPOTENCY_HEADER] for c in calls]
    assert len(set(keys)) == 2 and all(k.startswith("bb_pc_") for k in keys)
    sent = json.loads(calls[0].body)
    assert sent["use_type"] == "marketing" and sent["size"] == "4x6" and sent["front"] == ART["front"]
    assert sent["to"] == {"name": "Ada Park", "address_line1": "12 Oak St", "address_city": "Austin",
                          "address_state": "TX", "address_zip": "78701", "address_country": "US"}
    assert sent["metadata"]["tenant_id"] == tenant.tenant_id and sent["metadata"]["batch_id"] == first["batch_id"]
    assert sent["merge_variables"]["offer"] == "$79"
    assert sent["merge_variables"]["opt_out_url"].startswith(f"{BASE_URL}/opt-out/")

    batch = client.get(f"/api/v1/postcards/batches/{first['batch_id']}", headers=bearer(token)).json
    assert batch["status"] == "sent"
    assert [(r["status"], bool(r["lob_id"])) for r in batch["recipients"]] == [
        ("sent", True), ("suppressed", False), ("sent", True)]
    items = client.get("/api/v1/triggers/postcard_batch_ready", headers=bearer(token)).json
    assert len(items) == 1 and items[0]["batch_id"] == first["batch_id"]
    assert items[0]["counts"] == {"total": 3, "sent": 2, "suppressed": 1}

    # The Zap retries the step: the first answer is replayed, Lob hears nothing more.
    replay = queue(client, token, body, "zap-1")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json["batch_id"] == first["batch_id"]
    # The Zap runs again under a new key: same campaign and day, so nobody is mailed twice.
    again = queue(client, token, body, "zap-2")
    assert statuses(again.json) == [(ada, "duplicate", "already_in_batch"), (bo, "suppressed", "opted_out"),
                                    (cy, "duplicate", "already_in_batch")]
    worker.drain()
    assert len(lob.requests_to("/v1/postcards", "POST")) == 2
    assert len(client.get("/api/v1/triggers/postcard_batch_ready", headers=bearer(token)).json) == 2


def test_opt_out_url_writes_the_ledger_and_later_batches_suppress(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any, lob: LobEmulator) -> None:
    ada = customer(runtime, tenant.tenant_id, "Ada Park")
    first = queue(client, token, {"purpose": "marketing", "customer_ids": [ada], **ART}, "k1").json
    url = first["recipients"][0]["opt_out_url"]
    path = url.removeprefix(BASE_URL)
    assert re.fullmatch(r"/opt-out/[\w.-]+", path)

    page = client.get(path)
    assert page.status_code == 200 and "Stop marketing postcards" in page.text and "Acme Heating" in page.text
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEntry)) == 0  # GET writes nothing
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    done = client.post(path, data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 200 and "You are opted out" in done.text
    client.post(path, data={"csrf_token": csrf_token(page.text)})  # twice: recorded once
    with runtime.db.session() as session:
        entries = session.scalars(sa.select(ConsentEntry)).all()
        assert [(e.tenant_id, e.customer_id, e.channel, e.purpose, e.granted, e.source) for e in entries] == [
            (tenant.tenant_id, ada, "mail", "marketing", False, "opt_out_url")]

    # The first batch had not gone out yet: the card is suppressed when sending.
    worker.drain()
    assert lob.requests_to("/v1/postcards") == []
    batch = client.get(f"/api/v1/postcards/batches/{first['batch_id']}", headers=bearer(token)).json
    assert (batch["status"], batch["recipients"][0]["status"], batch["recipients"][0]["reason"]) == (
        "sent", "suppressed", "opted_out")
    later = queue(client, token, {"purpose": "marketing", "customer_ids": [ada], **ART}, "k2").json
    assert statuses(later) == [(ada, "suppressed", "opted_out")]
    # Operational mail is another purpose: still allowed.
    notice = queue(client, token, {"purpose": "operational", "customer_ids": [ada], **ART}, "k3").json
    assert statuses(notice) == [(ada, "queued", None)]

    assert client.get("/opt-out/not-a-valid-token").status_code == 404
    assert client.get(path[:-3] + "abc").status_code == 404  # tampered signature


def test_undeliverable_address_is_per_recipient_outages_and_dated_batches_resume(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any, lob: LobEmulator) -> None:
    ada = customer(runtime, tenant.tenant_id, "Ada Park")
    bad = customer(runtime, tenant.tenant_id, "Bo Chen", street="1 Undeliverable Way")
    cy = customer(runtime, tenant.tenant_id, "Cy Diaz")
    lob.fail_next("/v1/postcards", 503, times=1)  # retried at once: the key makes it safe
    body = {"purpose": "operational", "customer_ids": [ada, bad, cy], **ART}
    batch_id = queue(client, token, body, "k1").json["batch_id"]
    lob.fail_next("/v1/postcards", 429, times=99, headers={"Retry-After": "0"})
    worker.drain()
    first = client.get(f"/api/v1/postcards/batches/{batch_id}", headers=bearer(token)).json
    assert first["status"] == "sending"  # paused on throttling, nothing lost
    with lob.lock:
        lob.faults.clear()
    assert send_due(runtime) == 1
    worker.drain()
    done = client.get(f"/api/v1/postcards/batches/{batch_id}", headers=bearer(token)).json
    assert done["status"] == "sent"
    assert [(r["status"], r["reason"]) for r in done["recipients"]] == [
        ("sent", None), ("address_undeliverable", "failed_deliverability_strictness"), ("sent", None)]
    assert len(lob.created) == 2

    # A dated batch waits for its date, then goes out with the periodic job.
    when = (runtime.clock() + timedelta(days=3)).date().isoformat()
    out = queue(client, token, {"purpose": "marketing", "customer_ids": [ada], "send_date": when, **ART}, "k2").json
    assert out["status"] == "scheduled" and out["send_date"].startswith(when)
    worker.drain()
    assert send_due(runtime) == 0 and len(lob.created) == 2
    with runtime.db.session() as session:  # the date comes
        session.execute(sa.update(PostcardBatch).where(PostcardBatch.id == out["batch_id"])
                        .values(due_at=runtime.clock() - timedelta(minutes=1)))
    assert send_due(runtime) == 1
    worker.drain()
    assert len(lob.created) == 3


def test_segment_picks_by_last_service_and_purpose_is_required(
        client: Any, runtime: Runtime, tenant: TenantInfo, token: str, worker: Any) -> None:
    lapsed = customer(runtime, tenant.tenant_id, "Ada Park", completed_days_ago=400)
    customer(runtime, tenant.tenant_id, "Bo Chen", completed_days_ago=10)
    customer(runtime, tenant.tenant_id, "Cy Diaz")
    cutoff = (runtime.clock() - timedelta(days=365)).date().isoformat()
    out = queue(client, token, {"purpose": "marketing", "segment": {"last_service_before": cutoff,
                                                                    "job_types": ["maintenance"]}, **ART}, "k1")
    assert out.status_code == 200, out.text
    assert [r["customer_id"] for r in out.json["recipients"]] == [lapsed]

    response = queue(client, token, {"customer_ids": [lapsed], **ART}, "k2")
    assert response.status_code == 422
    assert [f["field"] for f in response.json["error"]["fields"]] == ["purpose"]
    response = queue(client, token, {"purpose": "marketing", **ART}, "k3")
    assert response.status_code == 422
    assert [f["field"] for f in response.json["error"]["fields"]] == ["customer_ids"]


class TestExport:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"lob": LobSettings()})  # no Lob account: export

    def test_export_csv_has_consent_flags_and_is_downloadable(
            self, client: Any, runtime: Runtime, tenant: TenantInfo, other_tenant: TenantInfo, token: str) -> None:
        ada = customer(runtime, tenant.tenant_id, "Ada Park", completed_days_ago=30)
        flagged = customer(runtime, tenant.tenant_id, "Bo Chen", marketing=False)
        out = queue(client, token, {"purpose": "marketing", "customer_ids": [ada, flagged]}, "k1")
        assert out.status_code == 200, out.text
        body = out.json
        assert body["delivery"] == "export" and body["status"] == "exported"
        assert statuses(body) == [(ada, "exported", None), (flagged, "suppressed", "do_not_mail")]
        download = client.get(body["csv_url"].removeprefix(BASE_URL), headers=bearer(token))
        assert download.status_code == 200 and download.mimetype == "text/csv"
        assert download.text == body["csv"]
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert [(r["firstName"], r["lastName"], r["zipCode"], r["customer_id"], r["consent_basis"],
                 r["marketing_mail_allowed"], r["operational_mail_allowed"]) for r in rows] == [
            ("Ada", "Park", "78701", ada, "default_existing_customer", "true", "true")]
        assert rows[0]["opt_out_url"].startswith(f"{BASE_URL}/opt-out/")
        items = client.get("/api/v1/triggers/postcard_batch_ready", headers=bearer(token)).json
        assert [(i["batch_id"], i["status"], i["csv_url"]) for i in items] == [
            (body["batch_id"], "exported", body["csv_url"])]
        # Another company cannot read it.
        other = issue_token(runtime, other_tenant)
        assert client.get(body["csv_url"].removeprefix(BASE_URL), headers=bearer(other)).status_code == 404
        assert client.get(body["batch_url"].removeprefix(BASE_URL), headers=bearer(other)).status_code == 404
        # Asking for Lob without an account is a conflict, not a crash.
        lob = queue(client, token, {"purpose": "marketing", "customer_ids": [ada], "delivery": "lob", **ART}, "k2")
        assert lob.status_code == 409


def test_a_card_queued_twice_at_the_same_moment_is_a_conflict(runtime: Runtime, tenant: TenantInfo) -> None:
    from actions.context import PostcardBatchDraft, PostcardLine
    from actions.errors import Conflict
    from connector.mail.mailroom import SqlMailroom

    def draft(batch_id: str) -> PostcardBatchDraft:
        line = PostcardLine("c1", "queued", None, "Ada Park", mail_key="bb_pc_same")
        return PostcardBatchDraft(id=batch_id, purpose="marketing", delivery="lob", status="scheduled",
                                  campaign="c", send_window="2026-11-25", send_date=None, due_at=runtime.clock(),
                                  size="4x6", mail_type="usps_first_class", front="f", back="b", from_address=None,
                                  merge_variables={}, description=None, csv=None, lines=(line,))

    with runtime.db.session() as session:
        SqlMailroom(runtime, session, tenant.tenant_id).save_batch(draft("b1"))
    with runtime.db.session() as session, pytest.raises(Conflict, match="same moment"):
        SqlMailroom(runtime, session, tenant.tenant_id).save_batch(draft("b2"))
