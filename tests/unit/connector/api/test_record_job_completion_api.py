"""Record Job Completion and Set Job Form through the API, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.models import Event, Job, JobCapture, JobForm, JobPart
from tests.factories import bearer, issue_token
from tests.helpers import job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

URL = "/api/v1/actions/record_job_completion"
ARRIVED = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
DEPARTED = ARRIVED + timedelta(minutes=95)
# job_data's customer is at (30.31, -97.72): the first photo is 15 m away, the second 5.3 km.
NEAR = {"url": "https://files.example.com/p1.jpg", "taken_at": (ARRIVED + timedelta(minutes=20)).isoformat(),
        "lat": 30.3101, "lng": -97.7201, "equipment_serial": "CARR-0921", "meter_readings": {"psi": 118}}
FAR = {"url": "https://files.example.com/p2.jpg", "taken_at": (ARRIVED + timedelta(minutes=30)).isoformat(),
       "lat": 30.2672, "lng": -97.7431}
PARTS = [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"},
         {"sku": "WIRE-18", "description": "18 AWG wire (ft)", "quantity": "2.5", "unit_cost": "0.30"}]
REPAIR = {"diagnosis": "Dirty flame sensor", "work_performed": "Replaced the sensor"}


def _arrived_job(client: Any, runtime: Runtime, tenant: TenantInfo, source_id: str = "J-1", **fields: Any) -> str:
    assert post_sandbox(client, tenant, "job.arrived", ARRIVED, job_data(source_id, **fields),
                        event_id=f"a-{source_id}").status_code == 200
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id,
                                                          Job.source_id == source_id)))


def _post(client: Any, token: str, body: dict[str, Any], key: str, url: str = URL) -> Any:
    return client.post(url, json=body, headers=bearer(token) | {"Idempotency-Key": key})


def _poll(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/triggers/job_completed", headers=bearer(token))
    assert answer.status_code == 200
    return list(answer.json)


def test_a_missing_mandatory_answer_is_422_naming_it(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                     token: str) -> None:
    job_id = _arrived_job(client, runtime, tenant, job_type="install")
    response = _post(client, token, {"job_id": job_id, "answers": {"model_number": "58STA"}}, "k1")
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "invalid_input" and error["fields"][0]["field"] == "answers.serial_number"
    assert "answers.serial_number" in error["message"]
    wrong = _post(client, token, {"job_id": job_id, "answers": {"serial_number": ["a", "b"]}}, "k2")
    assert wrong.status_code == 422 and wrong.json["error"]["fields"][0]["field"] == "answers.serial_number"
    with runtime.db.session() as session:
        assert session.scalar(sa.select(Job.status).where(Job.id == job_id)) == "arrived"
        assert session.scalar(sa.select(sa.func.count()).select_from(JobCapture)) == 0
    assert _poll(client, token) == []


def test_capture_completes_the_job_flags_the_far_photo_and_fires_once(client: Any, runtime: Runtime,
                                                                      tenant: TenantInfo, token: str, worker: Any,
                                                                      listener: Any) -> None:
    job_id = _arrived_job(client, runtime, tenant)
    hook = client.post("/api/v1/hooks", json={"trigger": "job_completed", "target_url": listener.url},
                       headers=bearer(token))
    assert hook.status_code == 201
    body = {"job_id": job_id, "answers": REPAIR, "completion_notes": "Heating normally.", "departed_at":
            DEPARTED.isoformat(), "photos": [NEAR, FAR], "parts": PARTS,
            "signature": {"image_url": "https://files.example.com/sig.png", "signer_name": "Dana Whitfield",
                          "signed_at": DEPARTED.isoformat()}}
    response = _post(client, token, body, "capture-1")
    assert response.status_code == 200, response.json
    out = response.json
    assert out["status"] == "completed" and out["created"] is True and out["minutes_on_site"] == 95
    assert [p["flags"] for p in out["photos"]] == [[], ["far_from_site"]] and out["photos_flagged"] == 1
    assert out["photos"][1]["distance_m"] == 5251
    with runtime.db.session() as session:
        job = session.scalar(sa.select(Job).where(Job.id == job_id))
        assert (job.status, job.completed_at, job.completion_notes) == ("completed", DEPARTED, "Heating normally.")
        parts = session.scalars(sa.select(JobPart).where(JobPart.job_id == job_id).order_by(JobPart.sku)).all()
        assert [(p.sku, str(p.quantity), str(p.unit_cost)) for p in parts] == [
            ("FS-100", "1.000", "18.40"), ("WIRE-18", "2.500", "0.30")]
        capture = session.scalar(sa.select(JobCapture))
        assert capture.tenant_id == tenant.tenant_id and capture.photos[1]["flags"] == ["far_from_site"]
        assert capture.signature["signer_name"] == "Dana Whitfield" and capture.answers == REPAIR
    [item] = _poll(client, token)
    assert item["job_id"] == job_id and item["capture_id"] == out["capture_id"] and item["id"] == out["event_id"]
    assert item["answers"] == REPAIR and item["parts_count"] == 2 and item["photos_flagged"] == 1
    assert item["signer_name"] == "Dana Whitfield" and item["time_on_site_minutes"] == 95

    replay = _post(client, token, body, "capture-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json == out
    resent = _post(client, token, body, "capture-1-resent")  # the same capture under another key
    assert resent.status_code == 200 and resent.json["created"] is False
    assert resent.json["capture_id"] == out["capture_id"]
    assert len(_poll(client, token)) == 1
    worker.drain()
    [delivered] = listener.received
    assert delivered["json"]["capture_id"] == out["capture_id"] and delivered["json"]["photos_flagged"] == 1
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(JobCapture)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)
                              .where(Event.type == "job.completed")) == 1


def test_a_correction_keeps_the_first_capture_as_history(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                         token: str) -> None:
    job_id = _arrived_job(client, runtime, tenant)
    first = _post(client, token, {"job_id": job_id, "answers": REPAIR, "parts": PARTS}, "c1").json
    second = _post(client, token, {"job_id": job_id, "answers": REPAIR | {"diagnosis": "Cracked sensor"},
                                   "parts": PARTS[:1]}, "c2")
    assert second.status_code == 200, second.json
    assert (second.json["revision"], second.json["replaces_capture_id"]) == (2, first["capture_id"])
    assert second.json["completed_at"] == first["completed_at"]
    with runtime.db.session() as session:
        rows = session.scalars(sa.select(JobCapture).order_by(JobCapture.revision)).all()
        assert [(r.revision, r.superseded_by) for r in rows] == [(1, rows[1].id), (2, None)]
        assert session.scalar(sa.select(sa.func.count()).select_from(JobPart)) == 1
    newest, oldest = _poll(client, token)
    assert (newest["capture_revision"], oldest["capture_revision"]) == (2, 1)
    assert newest["answers"]["diagnosis"] == "Cracked sensor"


def test_set_job_form_then_record_against_it(client: Any, runtime: Runtime, tenant: TenantInfo,
                                             token: str) -> None:
    form = {"job_type": "Repair", "signature_required": False, "fields": [
        {"key": "amps", "label": "Amps drawn", "type": "number", "required": True},
        {"key": "tier", "type": "choice", "choices": ["standard", "premium"]}]}
    made = _post(client, token, form, "f1", "/api/v1/actions/set_job_form")
    assert made.status_code == 200, made.json
    assert made.json["source"] == "tenant" and made.json["job_type"] == "repair"
    job_id = _arrived_job(client, runtime, tenant)
    bad = _post(client, token, {"job_id": job_id, "answers": {"amps": "a lot"}}, "r1")
    assert bad.status_code == 422 and bad.json["error"]["fields"][0]["field"] == "answers.amps"
    good = _post(client, token, {"job_id": job_id, "answers": {"amps": "7.5", "tier": "Premium"}}, "r2")
    assert good.status_code == 200 and good.json["answers"] == {"amps": 7.5, "tier": "premium"}
    other = issue_token(runtime, tenant)
    reset = _post(client, other, {"job_type": "repair", "use_default": True}, "f2", "/api/v1/actions/set_job_form")
    assert reset.status_code == 200 and reset.json["source"] == "default"
    with runtime.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(JobForm)) == 0
    bad_form = _post(client, token, {"job_type": "x", "fields": [{"key": "Bad Key"}]}, "f3",
                     "/api/v1/actions/set_job_form")
    assert bad_form.status_code == 422 and bad_form.json["error"]["fields"][0]["field"] == "fields.0.key"


def test_other_tenants_job_is_404_and_bad_photos_are_422(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                         other_tenant: TenantInfo, token: str) -> None:
    job_id = _arrived_job(client, runtime, tenant)
    other = issue_token(runtime, other_tenant)
    response = _post(client, other, {"job_id": job_id, "answers": REPAIR}, "x1")
    assert response.status_code == 404 and response.json["error"]["fields"][0]["field"] == "job_id"
    photos = [{"url": "x"}, {"url": "https://files.example.com/p.jpg", "lat": 1}]
    response = _post(client, token, {"job_id": job_id, "answers": REPAIR, "photos": photos}, "x2")
    assert response.status_code == 422
    assert {f["field"] for f in response.json["error"]["fields"]} == {"photos.0.url", "photos.1"}
    assert "give both lat and lng" in response.json["error"]["message"]
