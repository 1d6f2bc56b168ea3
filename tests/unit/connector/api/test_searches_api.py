"""POST /api/v1/searches/<key> on both databases: results, [] for none, 422 naming the field, tenant walls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.models import Customer, Job, Technician, Tenant
from tests.factories import bearer, issue_token
from tests.helpers import T0, job_data, post_sandbox

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo

CUSTOMER_B = {"id": "C-2", "name": "Ray Alvarez", "email": "ray@example.com", "phone": "512.555.0199",
              "address": "77 Elm St, Austin, TX 78702"}


def search(client: Any, token: str, key: str, body: Any) -> Any:
    return client.post(f"/api/v1/searches/{key}", json=body, headers=bearer(token))


def seed(client: Any, tenant: TenantInfo) -> None:
    """Three jobs: J-1 and J-2 for Dana (J-2 newer, completed), J-3 for Ray."""
    post_sandbox(client, tenant, "job.created", T0, job_data("J-1"), event_id="e1")
    later = job_data("J-2", scheduled_start="2026-11-26T15:00:00Z", scheduled_end="2026-11-26T16:00:00Z")
    post_sandbox(client, tenant, "job.created", T0 + timedelta(hours=1), later, event_id="e2")
    post_sandbox(client, tenant, "job.completed", T0 + timedelta(hours=3), later, event_id="e2c")
    post_sandbox(client, tenant, "job.created", T0 + timedelta(hours=2), job_data("J-3", customer=CUSTOMER_B),
                 event_id="e3")


def job_id(runtime: Runtime, tenant: TenantInfo, source_id: str) -> str:
    with runtime.db.session() as session:
        return str(session.scalar(sa.select(Job.id).where(Job.tenant_id == tenant.tenant_id,
                                                          Job.source_id == source_id)))


def sources(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["job_source_id"] for item in answer.json]


def test_find_job_by_each_criterion(client: Any, tenant: TenantInfo, token: str, runtime: Runtime) -> None:
    seed(client, tenant)
    assert sources(search(client, token, "find_job", {"job_id": job_id(runtime, tenant, "J-1")})) == ["J-1"]
    assert sources(search(client, token, "find_job", {"source_id": "J-3"})) == ["J-3"]
    assert sources(search(client, token, "find_job", {"customer_name": "WHITFIELD"})) == ["J-2", "J-1"]
    assert sources(search(client, token, "find_job", {"customer_email": "Dana@example.com"})) == ["J-2", "J-1"]
    assert sources(search(client, token, "find_job", {"customer_phone": "(512) 555-0142"})) == ["J-2", "J-1"]
    assert sources(search(client, token, "find_job", {"customer_phone": "+1 512 555 0199"})) == ["J-3"]
    assert sources(search(client, token, "find_job", {"status": "completed"})) == ["J-2"]
    assert sources(search(client, token, "find_job", {"scheduled_day": "2026-11-24"})) == ["J-3", "J-1"]
    assert sources(search(client, token, "find_job", {"customer_name": "dana", "limit": "1"})) == ["J-2"]
    [item] = search(client, token, "find_job", {"source_id": "J-2"}).json
    assert item["status"] == "completed" and item["customer_name"] == "Dana Whitfield"
    assert item["technician_name"] == "Marcus Reyes" and item["id"] == item["job_id"]
    assert item["completed_at"] == "2026-11-24T17:00:00Z"


def test_scheduled_day_is_the_tenants_local_day(client: Any, tenant: TenantInfo, token: str,
                                                runtime: Runtime) -> None:
    post_sandbox(client, tenant, "job.created", T0, job_data("J-LATE", scheduled_start="2026-11-25T03:30:00Z",
                                                             scheduled_end="2026-11-25T04:30:00Z"))
    with runtime.db.session() as session:
        session.get(Tenant, tenant.tenant_id).timezone = "UTC"
    assert sources(search(client, token, "find_job", {"scheduled_day": "2026-11-24"})) == []
    with runtime.db.session() as session:
        session.get(Tenant, tenant.tenant_id).timezone = "America/Chicago"  # 21:30 on the 24th there
    assert sources(search(client, token, "find_job", {"scheduled_day": "2026-11-24"})) == ["J-LATE"]


def test_nothing_found_is_an_empty_list_not_a_404(client: Any, tenant: TenantInfo, token: str) -> None:
    seed(client, tenant)
    quiet_month = {"group_by": "region", "from": "2020-01-01", "to": "2020-01-31"}
    for key, body in [("find_job", {"job_id": "nope"}), ("find_customer", {"email": "nobody@example.com"}),
                      ("find_technician", {"skill": "roofing"}), ("get_kpis", quiet_month)]:
        answer = search(client, token, key, body)
        assert (answer.status_code, answer.json) == (200, []), (key, answer.text)


BAD = [
    ("find_job", {}, "body"),
    ("find_job", {"customer_phone": "12-34"}, "customer_phone"),
    ("find_job", {"status": "lost"}, "status"),
    ("find_job", {"job_id": "x", "limit": 500}, "limit"),
    ("find_job", {"job_id": "x", "colour": "red"}, "colour"),
    ("find_customer", {"email": "not-an-address"}, "email"),
    ("find_technician", {"limit": 2}, "body"),
    ("get_kpis", {"baseline_days": 45}, "baseline_days"),
    ("get_kpis", {"from": "2026-11-08", "to": "2026-11-01"}, "to"),
    ("find_job", ["J-1"], "body"),
]


def test_bad_criteria_are_422_naming_the_field(client: Any, token: str) -> None:
    for key, body, field in BAD:
        answer = search(client, token, key, body)
        assert answer.status_code == 422, (key, body, answer.text)
        error = answer.json["error"]
        assert error["code"] == "invalid_input" and error["fields"][0]["field"] == field, (key, body, error)
        assert field in error["message"] or field == "body"


def test_unknown_search_scope_and_body(client: Any, runtime: Runtime, tenant: TenantInfo, token: str) -> None:
    assert search(client, token, "find_invoice", {}).status_code == 404
    assert client.post("/api/v1/searches/find_job", json={"job_id": "x"}).status_code == 401
    hooks_only = issue_token(runtime, tenant, scope="profile hooks")
    assert search(client, hooks_only, "find_job", {"job_id": "x"}).status_code == 403
    actions_only = issue_token(runtime, tenant, scope="actions")
    assert search(client, actions_only, "find_job", {"job_id": "x"}).status_code == 403
    garbled = client.post("/api/v1/searches/find_job", data="{", headers={**bearer(token),
                                                                          "Content-Type": "application/json"})
    assert garbled.status_code == 422 and garbled.json["error"]["fields"][0]["field"] == "body"


def test_another_tenants_records_are_never_found(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                  other_tenant: TenantInfo, token: str) -> None:
    # The other company has a job with the same FSM id for a customer with the same name, email and phone.
    post_sandbox(client, other_tenant, "job.created", T0, job_data("J-1"), event_id="o1")
    theirs = job_id(runtime, other_tenant, "J-1")
    with runtime.db.session() as session:
        session.add(Technician(tenant_id=other_tenant.tenant_id, name="Marcus Reyes", email="m@other.example",
                               skills=["hvac"]))
        their_customer = session.scalar(sa.select(Customer.id).where(Customer.tenant_id == other_tenant.tenant_id))
    for key, body in [("find_job", {"job_id": theirs}), ("find_job", {"source_id": "J-1"}),
                      ("find_job", {"customer_email": "dana@example.com"}),
                      ("find_job", {"customer_phone": "5125550142"}), ("find_job", {"status": "created"}),
                      ("find_customer", {"customer_id": their_customer}), ("find_customer", {"name": "dana"}),
                      ("find_technician", {"skill": "hvac"}), ("find_technician", {"name": "marcus"}),
                      ("get_kpis", {"group_by": "technician"})]:
        answer = search(client, token, key, body)
        assert (answer.status_code, answer.json) == (200, []), (key, body, answer.text)
    # ... and the other company finds its own.
    other_token = issue_token(runtime, other_tenant)
    assert [i["job_id"] for i in search(client, other_token, "find_job", {"source_id": "J-1"}).json] == [theirs]


def test_find_customer_answers_address_and_consent(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                   token: str) -> None:
    seed(client, tenant)
    with runtime.db.session() as session:
        row = session.scalar(sa.select(Customer).where(Customer.tenant_id == tenant.tenant_id,
                                                       Customer.source_id == "C-1"))
        row.city, row.region, row.postal_code, row.mail_consent_marketing = "Austin", "TX", "78751", False
    answer = search(client, token, "find_customer", {"phone": "+1 (512) 555-0142"})
    assert answer.status_code == 200, answer.text
    [dana] = answer.json
    assert dana["name"] == "Dana Whitfield" and dana["source_id"] == "C-1" and dana["id"] == dana["customer_id"]
    assert dana["address"] == "4812 Avenue H, Austin, TX 78751, Austin, TX 78751"
    assert dana["street"] == "4812 Avenue H, Austin, TX 78751" and dana["postal_code"] == "78751"
    assert dana["mail_consent_marketing"] is False and dana["mail_consent_operational"] is None  # the FSM keeps no flag
    # The consent ledger's decisions: the FSM's do-not-mail flag, operational by default, marketing SMS needs a grant.
    assert (dana["may_mail_marketing"], dana["may_mail_operational"], dana["may_sms_marketing"]) == (False, True, False)
    names = [c["name"] for c in search(client, token, "find_customer", {"name": "a"}).json]
    assert names == ["Ray Alvarez", "Dana Whitfield"]  # newest first


def test_find_technician_by_skill_name_and_email(client: Any, runtime: Runtime, tenant: TenantInfo,
                                                 token: str) -> None:
    with runtime.db.session() as session:
        session.add_all([
            Technician(tenant_id=tenant.tenant_id, name="Marcus Reyes", email="Marcus@Acme.example",
                       skills=["hvac", "gas"]),
            Technician(tenant_id=tenant.tenant_id, name="Blake Moss", skills=["HVAC"], active=False),
            Technician(tenant_id=tenant.tenant_id, name="Avery Chen", skills=["electrical"]),
        ])

    def names(body: dict[str, Any]) -> list[str]:
        return [t["name"] for t in search(client, token, "find_technician", body).json]

    assert names({"skill": "hvac"}) == ["Marcus Reyes", "Blake Moss"]  # active first
    assert names({"email": "marcus@acme.example"}) == ["Marcus Reyes"]
    assert names({"name": "e", "limit": 2}) == ["Avery Chen", "Marcus Reyes"]
    [marcus] = search(client, token, "find_technician", {"name": "marcus"}).json
    assert marcus["skills"] == ["hvac", "gas"] and marcus["active"] is True


def test_get_kpis_search_equals_the_kpi_endpoint(client: Any, tenant: TenantInfo, token: str) -> None:
    for n, (topic, minutes) in enumerate([("job.created", 0), ("job.dispatched", 20), ("job.en_route", 30),
                                          ("job.arrived", 60), ("job.completed", 150)]):
        post_sandbox(client, tenant, topic, datetime(2026, 11, 2, 8, tzinfo=UTC) + timedelta(minutes=minutes),
                     job_data(scheduled_start=None, scheduled_end=None), event_id=f"k{n}")
    query = {"from": "2026-11-01", "to": "2026-11-07", "group_by": "technician", "baseline_days": 30}
    answer = search(client, token, "get_kpis", query)
    assert answer.status_code == 200, answer.text
    [item] = answer.json
    report = client.get("/api/v1/kpis", query_string=query, headers=bearer(token)).json
    [group] = report["groups"]
    assert item["group"] == group["key"] == "Marcus Reyes" and item["group_by"] == "technician"
    assert item["kpis"] == group["kpis"]
    assert item["kpis"]["dispatch_time_minutes"]["value"] == 20
    assert (item["period_from"], item["period_to"]) == (report["from"], report["to"])
    assert (item["baseline_from"], item["baseline_to"]) == (report["baseline"]["from"], report["baseline"]["to"])
    assert item["as_of"] == report["as_of"] is not None
