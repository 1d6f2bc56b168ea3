"""The searches on fakes: criteria, matching rules, order, bounds, empty results, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from actions import find_customer, find_job, find_technician, get_kpis
from actions.catalog import SEARCH_REGISTRY, SEARCHES
from actions.context import CustomerRecord, TechnicianRecord
from actions.kpis import KPIS, KpiJob
from tests.fakes import NOW, FakeConsent, FakeStore, make_search_context
from triggers.canonical import CustomerRef, JobSnapshot, JobStatus, TechnicianRef


def snapshot(job_id: str, created: datetime, **changes: Any) -> JobSnapshot:
    base = JobSnapshot(job_id=job_id, source="sandbox", source_id=f"S-{job_id}", status=JobStatus.SCHEDULED,
                       job_type="repair", priority="P2", created_at=created,
                       customer=CustomerRef(id="c1", name="Dana Whitfield", email="Dana@Example.com",
                                            phone="(512) 555-0142"),
                       technician=TechnicianRef(id="t1", name="Marcus Reyes"))
    return base.model_copy(update=changes)


def customer(cid: str, name: str, created: datetime, **changes: Any) -> CustomerRecord:
    values: dict[str, Any] = {
        "id": cid, "source": "sandbox", "source_id": f"C-{cid}", "name": name, "email": None, "phone": None,
        "address": None, "street": None, "city": None, "region": None, "postal_code": None, "lat": None,
        "lng": None, "mail_consent_marketing": True, "mail_consent_operational": True, "created_at": created,
    }
    values.update(changes)
    return CustomerRecord(**values)


def tech(tid: str, name: str, skills: tuple[str, ...], active: bool = True, email: str | None = None) -> \
        TechnicianRecord:
    return TechnicianRecord(id=tid, source="sandbox", source_id=f"T-{tid}", name=name, email=email, phone=None,
                            skills=skills, active=active, home_address=None, created_at=NOW)


JOBS = {
    "j1": snapshot("j1", NOW - timedelta(days=3), scheduled_start=datetime(2026, 11, 24, 15, tzinfo=UTC)),
    "j2": snapshot("j2", NOW - timedelta(days=1), status=JobStatus.COMPLETED,
                   scheduled_start=datetime(2026, 11, 25, 4, tzinfo=UTC)),  # 22:00 on the 24th in Chicago
    "j3": snapshot("j3", NOW - timedelta(days=2), customer=CustomerRef(id="c2", name="Ray Alvarez",
                                                                       email="ray@example.com", phone="512.555.0199")),
}


def find_jobs(store: FakeStore | None = None, timezone: str = "UTC", **criteria: Any) -> list[str]:
    ctx, _ = make_search_context(store or FakeStore(jobs=dict(JOBS)), timezone=timezone)
    return [r.job_id for r in find_job.run(ctx, find_job.FindJobInput.model_validate(criteria))]


# --- find_job ----------------------------------------------------------------------------------

def test_find_job_by_ids_answers_the_job_as_the_job_triggers_describe_it() -> None:
    ctx, _ = make_search_context(FakeStore(jobs=dict(JOBS)))
    [found] = find_job.run(ctx, find_job.FindJobInput(job_id="j1"))
    assert found.id == found.job_id == "j1" and found.job_source_id == "S-j1"
    assert found.customer_name == "Dana Whitfield" and found.technician_name == "Marcus Reyes"
    assert find_jobs(source_id="S-j3") == ["j3"]


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"customer_name": "whit"}, ["j2", "j1"]),  # newest first
    ({"customer_email": " dana@EXAMPLE.com "}, ["j2", "j1"]),
    ({"customer_phone": "+1 512 555 0142"}, ["j2", "j1"]),
    ({"customer_phone": "5125550199"}, ["j3"]),
    ({"status": "completed"}, ["j2"]),
    ({"customer_name": "dana", "status": "scheduled"}, ["j1"]),  # every criterion must hold
    ({"customer_name": "nobody"}, []),  # nothing found: an empty list, not an error
])
def test_find_job_matches_every_given_criterion(criteria: dict[str, Any], expected: list[str]) -> None:
    assert find_jobs(**criteria) == expected


def test_find_job_scheduled_day_is_the_companys_local_day() -> None:
    assert find_jobs(scheduled_day="2026-11-24") == ["j1"]
    assert find_jobs(scheduled_day="2026-11-24", timezone="America/Chicago") == ["j2", "j1"]
    assert find_jobs(scheduled_day="2026-11-25", timezone="America/Chicago") == []


def test_find_job_is_bounded_by_limit() -> None:
    many = {f"j{n:03d}": snapshot(f"j{n:03d}", NOW - timedelta(minutes=n)) for n in range(150)}
    assert find_jobs(FakeStore(jobs=many), customer_name="dana") == [f"j{n:03d}" for n in range(10)]
    assert len(find_jobs(FakeStore(jobs=many), customer_name="dana", limit=100)) == 100


@pytest.mark.parametrize(("criteria", "field"), [
    ({}, ""),  # no criterion at all: it would match every job
    ({"limit": 5}, ""),
    ({"customer_phone": "555-01"}, "customer_phone"),
    ({"customer_email": "dana"}, "customer_email"),
    ({"status": "lost"}, "status"),
    ({"scheduled_day": "2026-13-01"}, "scheduled_day"),
    ({"job_id": "j1", "limit": 0}, "limit"),
    ({"job_id": "j1", "limit": 101}, "limit"),
    ({"job_id": "j1", "colour": "red"}, "colour"),
])
def test_find_job_refuses_bad_criteria_naming_the_field(criteria: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        find_job.FindJobInput.model_validate(criteria)
    [error] = caught.value.errors()
    assert ".".join(map(str, error["loc"])) == field
    if not field:
        assert "job_id" in error["msg"] and "scheduled_day" in error["msg"]


# --- find_customer -----------------------------------------------------------------------------

CUSTOMERS = [
    customer("c1", "Dana Whitfield", NOW - timedelta(days=30), email="Dana@Example.com", phone="(512) 555-0142",
             address="4812 Avenue H, Austin, TX 78751", street="4812 Avenue H", city="Austin", region="TX",
             postal_code="78751", mail_consent_marketing=False),
    customer("c2", "Dana Ortiz", NOW - timedelta(days=2), phone="+1-512-555-0177"),
    customer("c3", "Ray Alvarez", NOW - timedelta(days=9), email="ray@example.com"),
]


def find_customers(**criteria: Any) -> list[str]:
    ctx, _ = make_search_context(FakeStore(customers=list(CUSTOMERS)))
    return [r.id for r in find_customer.run(ctx, find_customer.FindCustomerInput.model_validate(criteria))]


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"name": "DANA"}, ["c2", "c1"]),  # newest first
    ({"name": "ana wh"}, ["c1"]),
    ({"email": "dana@example.com"}, ["c1"]),
    ({"phone": "512-555-0142"}, ["c1"]),
    ({"phone": "15125550177"}, ["c2"]),  # country code or not, the national digits decide
    ({"phone": "5550177"}, ["c2"]),
    ({"customer_id": "c3"}, ["c3"]),
    ({"name": "dana", "email": "ray@example.com"}, []),
])
def test_find_customer_matches(criteria: dict[str, Any], expected: list[str]) -> None:
    assert find_customers(**criteria) == expected


def test_find_customer_answers_address_flags_and_no_ledger_decisions_without_a_ledger() -> None:
    ctx, _ = make_search_context(FakeStore(customers=list(CUSTOMERS)))
    [found] = find_customer.run(ctx, find_customer.FindCustomerInput(customer_id="c1"))
    assert found.address == "4812 Avenue H, Austin, TX 78751" and found.postal_code == "78751"
    assert found.mail_consent_marketing is False and found.mail_consent_operational is True
    assert found.may_mail_marketing is None and found.may_sms_operational is None


def test_find_customer_reports_the_consent_ledgers_decisions() -> None:
    ledger = FakeConsent(customers={"c1": {"marketing": False, "operational": True}})
    ledger.record("c1", "sms", "marketing", granted=True, source="form", evidence="web form 2026-11-01")
    ctx, _ = make_search_context(FakeStore(customers=list(CUSTOMERS)), consent=ledger)
    [found] = find_customer.run(ctx, find_customer.FindCustomerInput(customer_id="c1"))
    assert found.may_mail_marketing is False  # the FSM's do-not-mail flag
    assert found.may_mail_operational is True
    assert found.may_sms_marketing is True  # granted in the ledger
    assert found.may_email_marketing is False  # marketing email needs a grant


@pytest.mark.parametrize(("criteria", "field"), [
    ({}, ""), ({"phone": "12345"}, "phone"), ({"email": "@"}, "email"), ({"name": "x" * 201}, "name"),
])
def test_find_customer_refuses_bad_criteria(criteria: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        find_customer.FindCustomerInput.model_validate(criteria)
    assert ".".join(map(str, caught.value.errors()[0]["loc"])) == field


# --- find_technician ---------------------------------------------------------------------------

TECHS = [tech("t1", "Marcus Reyes", ("hvac", "gas"), email="marcus@acme.example"),
         tech("t2", "Avery Chen", ("electrical",)), tech("t3", "Blake Moss", ("HVAC",), active=False),
         tech("t4", "Ana Marcus", ("plumbing",))]


@pytest.mark.parametrize(("criteria", "expected"), [
    ({"skill": "hvac"}, ["t1", "t3"]),  # any case; active ones first
    ({"name": "marcus"}, ["t4", "t1"]),  # then by name
    ({"email": "MARCUS@acme.example"}, ["t1"]),
    ({"technician_id": "t2"}, ["t2"]),
    ({"skill": "roofing"}, []),
    ({"skill": "hvac", "limit": 1}, ["t1"]),
])
def test_find_technician_matches(criteria: dict[str, Any], expected: list[str]) -> None:
    ctx, _ = make_search_context(FakeStore(technicians=list(TECHS)))
    found = find_technician.run(ctx, find_technician.FindTechnicianInput.model_validate(criteria))
    assert [t.technician_id for t in found] == expected


def test_find_technician_needs_a_criterion() -> None:
    with pytest.raises(ValidationError, match="technician_id, name, email, skill"):
        find_technician.FindTechnicianInput.model_validate({"limit": 3})


# --- get_kpis ----------------------------------------------------------------------------------

def kpi_job(job_id: str, tech_name: str, day: int, **changes: Any) -> KpiJob:
    created = datetime(2026, 11, day, 8, tzinfo=UTC)
    values: dict[str, Any] = {"dispatched_at": created + timedelta(minutes=20)}
    values.update(changes)
    return KpiJob(job_id, "P2", "repair", f"C-{job_id}", tech_name, "north", created, **values)


def test_get_kpis_answers_one_result_per_group_equal_to_the_kpi_answer() -> None:
    facts = [kpi_job("a", "Avery", 3), kpi_job("b", "Blake", 4, dispatched_at=datetime(2026, 11, 4, 9, tzinfo=UTC)),
             kpi_job("c", "Avery", 20)]
    ctx, _ = make_search_context(FakeStore(kpi_facts=facts, last_heard=NOW))
    query = get_kpis.GetKpisInput.model_validate({"from": "2026-11-01", "to": "2026-11-07",
                                                  "group_by": "technician", "baseline_days": 30})
    report = get_kpis.report(ctx, query)
    results = get_kpis.run(ctx, query)
    assert [r.group for r in results] == [g["key"] for g in report["groups"]] == ["Avery", "Blake"]
    avery, blake = results
    assert avery.kpis.dispatch_time_minutes.value == 20 and avery.kpis.dispatch_time_minutes.sample_size == 1
    assert blake.kpis.dispatch_time_minutes.value == 60
    assert avery.kpis.dispatch_time_minutes.baseline is not None
    assert avery.kpis.dispatch_time_minutes.baseline.sample_size == 0
    assert (avery.period_from, avery.period_to) == (date(2026, 11, 1), date(2026, 11, 7))
    assert (avery.baseline_from, avery.baseline_to) == (date(2026, 10, 2), date(2026, 10, 31))
    assert avery.as_of == NOW and avery.id == "2026-11-01..2026-11-07:technician:Avery"
    # The search's figures are the answer's, field for field.
    dumped = avery.kpis.model_dump(mode="json")
    assert dumped == {name: {**figure, "as_of": "2026-11-24T17:00:00Z"}
                      for name, figure in report["groups"][0]["kpis"].items()}


def test_get_kpis_without_grouping_or_dates_is_one_result_for_the_last_30_days() -> None:
    ctx, _ = make_search_context(FakeStore())
    [only] = get_kpis.run(ctx, get_kpis.GetKpisInput())
    assert only.group == "all" and only.group_by is None
    assert (only.period_from, only.period_to) == (date(2026, 10, 26), date(2026, 11, 24))
    assert only.kpis.first_time_fix_percent.value is None and only.kpis.first_time_fix_percent.sample_size == 0
    assert only.baseline_from is None and only.kpis.cash_conversion_days.baseline is None


def test_get_kpis_grouped_over_no_jobs_is_an_empty_list() -> None:
    ctx, _ = make_search_context(FakeStore())
    assert get_kpis.run(ctx, get_kpis.GetKpisInput(group_by="region")) == []


def test_every_kpi_has_a_typed_figure() -> None:
    assert set(get_kpis.KpiFigures.model_fields) == set(KPIS)


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-11-08", "to": "2026-11-01"}, "to"), ({"baseline_days": 45}, "baseline_days"),
    ({"group_by": "team"}, "group_by"), ({"period": "week"}, "period"),
])
def test_get_kpis_refuses_bad_input(query: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        get_kpis.GetKpisInput.model_validate(query)
    assert caught.value.errors()[0]["loc"] == (field,)


# --- the catalog of searches -------------------------------------------------------------------

@pytest.mark.parametrize("spec", SEARCHES, ids=lambda s: s.key)
def test_every_search_sample_is_valid_and_every_field_described(spec: Any) -> None:
    assert SEARCH_REGISTRY[spec.key] is spec
    assert spec.output.model_validate(spec.sample.model_dump(mode="json")) == spec.sample
    models: list[type[BaseModel]] = [spec.input, spec.output]
    for model in models:
        assert all(f.description for f in model.model_fields.values()), model.__name__


def test_a_blank_field_means_any() -> None:
    """Tests that Make's and Zapier's empty strings (and nulls) are no criterion, not a bad value."""
    data = find_job.FindJobInput.model_validate({"job_id": "j1", "status": "", "customer_phone": None,
                                                 "scheduled_day": "", "limit": ""})
    assert (data.status, data.customer_phone, data.scheduled_day, data.limit) == (None, None, None, 10)
    assert get_kpis.GetKpisInput.model_validate({"from": "", "baseline_days": ""}).baseline_days is None
    with pytest.raises(ValidationError, match="give at least one of"):
        find_customer.FindCustomerInput.model_validate({"name": "  ", "email": ""})
