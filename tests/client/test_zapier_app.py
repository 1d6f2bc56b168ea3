"""The generated Zapier app run by zapier-platform-core (Node) against the live Backbone.

The Node driver (`tests/client/zapier/run.js`) plays Zapier: it runs the app's functions with
`createAppTester`/`createAppHandler` and listens on 127.0.0.1 for hook deliveries and heavy-action
callbacks. What only Backbone's side can do it asks of a small control server here: sign in and
consent (the user's browser), expire an access token (time passing), send a signed sandbox webhook
(the field-service system) and pick action inputs that fit the live data.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import requests
import sqlalchemy as sa

from actions.catalog import REGISTRY as ACTIONS
from actions.catalog import SEARCH_REGISTRY as SEARCHES
from actions.planning import day_window
from connector.crypto import digest
from connector.db.models import Job, OAuthToken, RoutePlan, Technician, Tenant
from tests.client import zapier_npm
from tests.helpers import job_data, sandbox_webhook
from triggers.canonical import EventType
from triggers.catalog import REGISTRY as TRIGGERS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.client.conftest import LiveApp

pytestmark = pytest.mark.client

DRIVER = zapier_npm.ROOT / "tests" / "client" / "zapier" / "run.js"
REDIRECT_URI = "https://zapier.com/dashboard/auth/oauth/return/App000001CLIAPI/"
DRIVER_TIMEOUT = 90
#: What the sandbox FSM can send (other canonical events come from Backbone itself or from rules).
SANDBOX_TOPICS = [t for t in EventType if t.value.startswith("job.")] + [EventType.INVOICE_SENT, EventType.INVOICE_PAID]
#: Above the API calls one connection makes before the throttling step (5 per trigger, 2 per action,
#: a few for OAuth), so only the last step, which polls in a loop, runs into it.
RATE_LIMIT = 10 + 6 * len(TRIGGERS) + 4 * len(ACTIONS) + 4 * len(SEARCHES)


@dataclass
class ActionInputs:
    valid: dict[str, Any]
    invalid: dict[str, Any]
    invalid_fields: list[str]


def generate_invoice_inputs(live: LiveApp) -> ActionInputs:
    with live.runtime.db.session() as session:
        job_id = session.scalar(sa.select(Job.id).where(Job.tenant_id == live.tenant.tenant_id,
                                                        Job.status == "completed").limit(1))
    assert job_id, "no completed job: the job_completed trigger step should have made one"
    return ActionInputs({"job_id": job_id, "labour_hours": "1.5", "notes": "From the Zapier client test"},
                        {"labour_hours": "99"}, ["job_id", "labour_hours"])


def reconcile_inputs(live: LiveApp) -> ActionInputs:
    today = datetime.now(UTC).date()
    # Zapier datetime fields send ISO timestamps; the app keeps their date part for date inputs.
    return ActionInputs({"since": f"{today - timedelta(days=30)}T00:00:00-05:00", "until": f"{today}T09:00:00Z"},
                        {"invoice_grace_hours": "-1"}, ["invoice_grace_hours"])


def optimize_route_inputs(live: LiveApp) -> ActionInputs:
    return ActionInputs({"day": f"{datetime.now(UTC).date()}T00:00:00Z", "time_limit_seconds": "1"},
                        {"time_limit_seconds": "0"}, ["time_limit_seconds"])


def _open_job(live: LiveApp) -> str:
    with live.runtime.db.session() as session:
        job_id = session.scalar(sa.select(Job.id).where(Job.tenant_id == live.tenant.tenant_id,
                                                        Job.status.notin_(["completed", "cancelled"])).limit(1))
    assert job_id, "no open job: the trigger steps should have made some"
    return str(job_id)


def dispatch_job_inputs(live: LiveApp) -> ActionInputs:
    return ActionInputs({"job_id": _open_job(live), "day": f"{datetime.now(UTC).date()}T00:00:00Z"},
                        {"job_id": "x", "max_candidates": "0"}, ["max_candidates"])


def insert_emergency_inputs(live: LiveApp) -> ActionInputs:
    # A stored plan of today with nobody booked yet (the planning itself is tested in tests/unit).
    today = datetime.now(UTC).date()
    with live.runtime.db.session() as session:
        zone = session.get(Tenant, live.tenant.tenant_id).timezone
        start, end = day_window(today, zone)
        session.add(RoutePlan(id=uuid.uuid4().hex, tenant_id=live.tenant.tenant_id, created_at=datetime.now(UTC),
                              window_start=start, window_end=end, routes=[], unassigned=[], kpis={}))
    emergency = {"id": "GAS-LEAK-1", "customer_name": "Ray Alvarez", "lat": "30.29", "lng": "-97.74",
                 "duration_minutes": "45"}
    return ActionInputs({"job": [emergency], "day": f"{today}T00:00:00Z",
                         "time_limit_seconds": "2"},
                        {"job_id": "x", "time_limit_seconds": "99"}, ["time_limit_seconds"])


def add_job_note_inputs(live: LiveApp) -> ActionInputs:
    # Sandbox jobs come from the sandbox FSM, which keeps the notes Backbone writes back.
    return ActionInputs({"job_id": _open_job(live), "note": "Gate code 4417; call on arrival."},
                        {"note": ""}, ["job_id", "note"])


def record_job_completion_inputs(live: LiveApp) -> ActionInputs:
    # An open repair job from the trigger steps: the built-in repair form asks diagnosis and work_performed.
    with live.runtime.db.session() as session:
        job_id = session.scalar(sa.select(Job.id).where(
            Job.tenant_id == live.tenant.tenant_id, Job.job_type == "repair",
            Job.status.notin_(["completed", "cancelled"])).limit(1))
    assert job_id, "no open repair job: the trigger steps should have made some"
    now = datetime.now(UTC).replace(microsecond=0)
    photo = {"url": "https://files.example.com/p1.jpg", "taken_at": now.isoformat(), "lat": "30.3101",
             "lng": "-97.7201", "equipment_serial": "CARR-0921", "meter_readings": "psi=118; supply_temp_f=55"}
    return ActionInputs(
        {"job_id": job_id, "answers": {"diagnosis": "Dirty flame sensor", "work_performed": "Replaced the sensor"},
         "completion_notes": "From the Zapier client test.", "minutes_on_site": "45", "photos": [photo],
         "parts": [{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}],
         "signature": [{"image_url": "https://files.example.com/sig.png", "signer_name": "Dana Whitfield",
                        "signed_at": now.isoformat()}]},
        {"job_id": job_id, "answers": {"diagnosis": "Dirty flame sensor"}}, ["answers.work_performed"])


def set_job_form_inputs(live: LiveApp) -> ActionInputs:
    return ActionInputs(
        {"job_type": "inspection", "signature_required": "false", "fields": [
            {"key": "panel_rating_amps", "label": "Panel rating (A)", "type": "number", "required": "true"},
            {"key": "condition", "type": "choice", "choices": "good,fair,poor"}]},
        {"job_type": "inspection", "fields": [{"key": "Panel Rating"}]}, ["fields.0.key"])


def schedule_recurring_inputs(live: LiveApp) -> ActionInputs:
    from connector.db.models import Customer

    with live.runtime.db.session() as session:
        customer_id = session.scalar(sa.select(Customer.id).where(Customer.tenant_id == live.tenant.tenant_id)
                                     .limit(1))
    assert customer_id, "no customer: the trigger steps should have made some"
    return ActionInputs(
        {"customer_id": customer_id, "service": "maintenance", "rrule": "FREQ=MONTHLY;INTERVAL=3",
         "window_start": "08:00", "window_end": "12:00", "duration_minutes": "60", "skills": ["hvac"],
         "price": "129.00", "horizon_days": "120"},
        {"customer_id": customer_id, "rrule": "FREQ=FORTNIGHTLY"}, ["rrule"])


def queue_postcard_inputs(live: LiveApp) -> ActionInputs:
    # No Lob account in the live app: the batch is exported as a PostcardMania CSV.
    from connector.db.models import Customer

    with live.runtime.db.session() as session:
        customer_id = session.scalar(sa.select(Customer.id).where(Customer.tenant_id == live.tenant.tenant_id)
                                     .limit(1))
    assert customer_id, "no customer: the trigger steps should have made some"
    return ActionInputs({"purpose": "operational", "customer_ids": [customer_id], "campaign": "zapier-client-test"},
                        {"customer_ids": [customer_id], "size": "5x7"}, ["purpose", "size"])


def notify_customer_inputs(live: LiveApp) -> ActionInputs:
    # No Twilio or SMTP in the live app: the message is composed for the next step ("arrived" fits any open job).
    return ActionInputs({"job_id": _open_job(live), "stage": "arrived"},
                        {"stage": "tomorrow"}, ["job_id", "stage"])


def reorder_stock_inputs(live: LiveApp) -> ActionInputs:
    # The sandbox FSM's technicians come in with its jobs. A count of 1, one used: below min 1, so it refills.
    with live.runtime.db.session() as session:
        tech = session.scalar(sa.select(Technician.id).where(Technician.tenant_id == live.tenant.tenant_id).limit(1))
    assert tech, "no technician: the job trigger steps should have brought one in"
    return ActionInputs({"technician_id": tech, "parts": [{"sku": "FS-100", "quantity": "1"}],
                         "thresholds": [{"threshold_sku": "FS-100", "min": "1", "max": "4", "on_hand": "1"}]},
                        {"parts": [{"sku": "FS-100", "quantity": "-1"}]}, ["technician_id", "parts.0.quantity"])


#: Valid and invalid input for every action, chosen against the live data.
INPUTS: dict[str, Callable[[LiveApp], ActionInputs]] = {
    "generate_invoice": generate_invoice_inputs,
    "reconcile": reconcile_inputs,
    "optimize_route": optimize_route_inputs,
    "dispatch_job": dispatch_job_inputs,
    "insert_emergency": insert_emergency_inputs,
    "add_job_note": add_job_note_inputs,
    "record_job_completion": record_job_completion_inputs,
    "set_job_form": set_job_form_inputs,
    "schedule_recurring": schedule_recurring_inputs,
    "queue_postcard": queue_postcard_inputs,
    "notify_customer": notify_customer_inputs,
    "reorder_stock": reorder_stock_inputs,
}


@dataclass
class SearchInputs:
    valid: dict[str, Any]
    match: dict[str, Any]  # fields of the first result
    none: dict[str, Any]  # criteria nothing matches
    invalid: dict[str, Any]
    invalid_fields: list[str]


def find_job_inputs(live: LiveApp) -> SearchInputs:
    # A job the trigger steps made, found by its FSM id and its appointment's local day.
    from zoneinfo import ZoneInfo

    with live.runtime.db.session() as session:
        job = session.scalars(sa.select(Job).where(Job.tenant_id == live.tenant.tenant_id,
                                                   Job.source_id.like("ZAP-%"), Job.scheduled_start.is_not(None))
                              .order_by(Job.created_at.desc()).limit(1)).one()
        zone = session.get(Tenant, live.tenant.tenant_id).timezone
        day = job.scheduled_start.astimezone(ZoneInfo(zone)).date()
        return SearchInputs({"source_id": job.source_id, "scheduled_day": f"{day}T00:00:00Z", "limit": "3"},
                            {"job_id": job.id, "job_source_id": job.source_id},
                            {"source_id": "NO-SUCH-JOB"},
                            {"customer_phone": "12", "limit": "0"}, ["customer_phone", "limit"])


def find_customer_inputs(live: LiveApp) -> SearchInputs:
    # The sandbox jobs' customer (tests.helpers.job_data), by phone in another format and part of the name.
    return SearchInputs({"phone": "512.555.0142", "name": "whitfield"}, {"name": "Dana Whitfield"},
                        {"email": "nobody@example.com"}, {"email": "nope", "phone": "1"}, ["email", "phone"])


def find_technician_inputs(live: LiveApp) -> SearchInputs:
    return SearchInputs({"name": "MARCUS"}, {"name": "Marcus Reyes"}, {"skill": "roofing"},
                        {"name": "x", "limit": "0"}, ["limit"])


def get_kpis_inputs(live: LiveApp) -> SearchInputs:
    today = datetime.now(UTC).date()
    return SearchInputs({"from": f"{today - timedelta(days=29)}T00:00:00Z", "to": f"{today}T12:00:00Z",
                         "baseline_days": "30"}, {"group": "all"},
                        {"group_by": "region", "from": "2020-01-01T00:00:00Z", "to": "2020-01-31T00:00:00Z"},
                        {"baseline_days": "45"}, ["baseline_days"])


#: A match, a miss and invalid criteria for every search, chosen against the live data.
SEARCH_INPUTS: dict[str, Callable[[LiveApp], SearchInputs]] = {
    "find_job": find_job_inputs,
    "find_customer": find_customer_inputs,
    "find_technician": find_technician_inputs,
    "get_kpis": get_kpis_inputs,
}


@pytest.fixture
def live_settings_overrides() -> dict[str, Any]:
    return {"rate_limit": f"{RATE_LIMIT} per minute"}


def consent(live: LiveApp, url: str) -> str:
    """Signs the owner in and approves the consent page; returns the redirect Location."""
    browser = requests.Session()
    browser.trust_env = False  # loopback only: no proxy from the environment

    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, "no CSRF token on the page"
        return match.group(1)

    login = browser.get(f"{live.base_url}/login", timeout=10)
    signed = browser.post(f"{live.base_url}/login", allow_redirects=False, timeout=10, data={
        "email": live.tenant.owner_email, "password": live.password, "csrf_token": csrf(login.text)})
    assert signed.status_code == 302, f"sign-in failed: {signed.status_code}"
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, f"consent page: {page.status_code} {page.text[:300]}"
    answer = browser.post(url, allow_redirects=False, timeout=10,
                          data={"csrf_token": csrf(page.text), "decision": "approve"})
    assert answer.status_code == 302, f"consent: {answer.status_code} {answer.text[:300]}"
    return str(answer.headers["Location"])


def expire(live: LiveApp, access_token: str) -> int:
    """Moves the access token's expiry into the past, as if its lifetime had run out."""
    with live.runtime.db.session() as session:
        result = session.execute(sa.update(OAuthToken).where(OAuthToken.access_token_digest == digest(access_token))
                                 .values(access_expires_at=datetime.now(UTC) - timedelta(seconds=5)))
        return int(result.rowcount)  # type: ignore[attr-defined]


def fire(live: LiveApp, trigger: str) -> dict[str, Any]:
    """Sends a signed sandbox webhook whose canonical event feeds `trigger`."""
    spec = TRIGGERS[trigger]
    if EventType.ROUTE_OPTIMIZED in spec.event_types:
        return fire_plan(live)
    topics = [t for t in SANDBOX_TOPICS if t in spec.event_types]
    if trigger in RECORDED:
        return fire_recorded(live, trigger)
    if trigger in RULES:
        return fire_rule(live, trigger)
    if not topics or not topics[0].value.startswith("job."):
        raise LookupError(f"teach tests/client/test_zapier_app.py how to fire {trigger!r} from the sandbox")
    topic = topics[0].value
    source_id = f"ZAP-{uuid.uuid4().hex[:8].upper()}"
    data = job_data(source_id, completion_notes="Zapier client test.",
                    parts=[{"sku": "FS-100", "description": "Flame sensor", "quantity": "1", "unit_cost": "18.40"}])
    body, headers = sandbox_webhook(live.tenant, topic, datetime.now(UTC).replace(microsecond=0), data)
    with requests.Session() as fsm:
        fsm.trust_env = False
        response = fsm.post(f"{live.base_url}/webhooks/sandbox", data=body, headers=headers, timeout=10)
    assert response.status_code == 200 and response.json()["received"] == 1, response.text
    return {"topic": topic, "match": {"job_source_id": source_id}}


#: Triggers fed by events Backbone records itself (no sandbox webhook): the field that tells items apart.
RECORDED = {"connection_needs_reconnect": "connection_id", "invoice_created": "invoice_id",
            "invoice_sent": "invoice_id", "invoice_paid": "invoice_id", "action_failed": "run_id",
            "reconciliation_exception": "job_id", "postcard_batch_ready": "batch_id",
            "stock_below_threshold": "order_id"}


def fire_recorded(live: LiveApp, trigger: str) -> dict[str, Any]:
    """Records the trigger's event with its sample's data (a fresh id), as Backbone's own code does."""
    from connector.ingest.recorder import record_event
    from triggers.canonical import CanonicalEvent

    spec = TRIGGERS[trigger]
    key = RECORDED[trigger]
    data = spec.sample.model_dump(mode="json") | {key: uuid.uuid4().hex}
    [event_type] = spec.event_types
    event = CanonicalEvent(event_id=f"{trigger}:{data[key]}", type=event_type, occurred_at=datetime.now(UTC),
                           source="backbone", subject_id=data[key], data=data)
    with live.runtime.db.session() as session:
        record_event(session, live.runtime.queues, live.tenant.tenant_id, event)
    return {"topic": event_type.value, "match": {key: data[key]}}


#: Rule triggers: job items plus the rule's own fields, recorded as the rule job records them.
RULES = {"invoice_not_sent_48h", "arrival_late", "sla_at_risk", "recurring_visit_due"}


def fire_rule(live: LiveApp, trigger: str) -> dict[str, Any]:
    from connector.ingest.recorder import record_event
    from triggers.canonical import CanonicalEvent, JobSnapshot
    from triggers.job_item import JobEventItem

    spec = TRIGGERS[trigger]
    sample = spec.sample.model_dump(mode="json")
    job_id = uuid.uuid4().hex
    job = JobSnapshot(job_id=job_id, source="sandbox", source_id=f"ZAP-{job_id[:8]}", status=sample["status"],
                      job_type=sample["job_type"], priority=sample["priority"], description=sample["description"])
    rule = {k: v for k, v in sample.items() if k not in JobEventItem.model_fields}
    [event_type] = spec.event_types
    event = CanonicalEvent(event_id=f"rule:{trigger}:{job_id}", type=event_type, occurred_at=datetime.now(UTC),
                           source="backbone", subject_id=job_id,
                           data={"job": job.model_dump(mode="json"), "rule": rule})
    with live.runtime.db.session() as session:
        record_event(session, live.runtime.queues, live.tenant.tenant_id, event)
    return {"topic": event_type.value, "match": {"job_id": job_id}}


def fire_plan(live: LiveApp) -> dict[str, Any]:
    """Records a route.optimized event the way the optimizer does (no FSM webhook feeds this trigger)."""
    from connector.ingest.recorder import record_event
    from triggers.canonical import CanonicalEvent
    from triggers.route_optimized import SAMPLE

    plan_id = uuid.uuid4().hex
    plan = SAMPLE.model_dump(mode="json") | {"plan_id": plan_id}
    event = CanonicalEvent(event_id=f"route.optimized:{plan_id}", type=EventType.ROUTE_OPTIMIZED,
                           occurred_at=datetime.now(UTC), source="backbone", subject_id=plan_id, data={"plan": plan})
    with live.runtime.db.session() as session:
        record_event(session, live.runtime.queues, live.tenant.tenant_id, event)
    return {"topic": "route.optimized", "match": {"plan_id": plan_id}}


class Control:
    """The control server the driver calls for what only Backbone's side can do."""

    def __init__(self, live: LiveApp) -> None:
        routes: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "/consent": lambda body: {"location": consent(live, body["url"])},
            "/expire": lambda body: {"expired": expire(live, body["access_token"])},
            "/fire": lambda body: fire(live, body["trigger"]),
            "/inputs": lambda body: asdict(INPUTS[body["action"]](live)),
            "/search_inputs": lambda body: asdict(SEARCH_INPUTS[body["search"]](live)),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                try:
                    status, answer = 200, routes[self.path](body)
                except Exception as exc:  # reported to the driver, which fails the test
                    status, answer = 500, {"error": f"{type(exc).__name__}: {exc}"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Control:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def zapier_modules() -> Path:
    return zapier_npm.install()


@pytest.fixture
def control(live_app: LiveApp) -> Iterator[Control]:
    with Control(live_app) as server:
        yield server


def test_every_action_has_client_test_inputs() -> None:
    assert set(INPUTS) == set(ACTIONS), "add valid and invalid inputs for new actions to INPUTS"


def test_every_search_has_client_test_inputs() -> None:
    assert set(SEARCH_INPUTS) == set(SEARCHES), "add inputs for new searches to SEARCH_INPUTS"


def test_zapier_app_runs_in_zapiers_runtime_against_the_live_app(
    live_app: LiveApp, control: Control, zapier_modules: Path, tmp_path: Path
) -> None:
    """Tests OAuth, every trigger (hook and polling), every action and throttling through core."""
    client_id, client_secret = live_app.add_oauth_client("Zapier", REDIRECT_URI)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "appDir": str(zapier_npm.APP_DIR), "baseUrl": live_app.base_url, "controlUrl": control.url,
        "redirectUri": REDIRECT_URI, "ownerEmail": live_app.tenant.owner_email, "throttleAttempts": RATE_LIMIT + 5,
    }))
    env = {**os.environ, "NODE_ENV": "test", "NODE_PATH": str(zapier_modules), "CLIENT_ID": client_id,
           "CLIENT_SECRET": client_secret}
    started = time.monotonic()
    done = subprocess.run([zapier_npm.node(), str(DRIVER), str(config)], env=env, capture_output=True, text=True,
                          timeout=DRIVER_TIMEOUT, check=False)
    print(done.stdout + done.stderr + f"driver: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all steps passed" in done.stdout
