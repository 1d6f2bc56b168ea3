"""The sandbox FSM emits its own signed events on a timer, so the demo is alive.

Each tick moves one of today's jobs per sandbox tenant one step along its lifecycle (or books a
new job), and sends that event through the same webhook path a real FSM would use.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from connector.db.models import Customer, Install, Job, Technician
from connector.db.store import customer_address
from connector.ingest.service import accept
from connector.providers.sandbox import ACCOUNT_HEADER, SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

NEXT_STATUS = {"created": "scheduled", "scheduled": "dispatched", "dispatched": "en_route",
               "en_route": "arrived", "arrived": "completed"}
MAX_TENANTS_PER_TICK = 50


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def delivery_body(account_id: str, topic: str, occurred_at: datetime, data: dict[str, Any],
                  event_id: str | None = None) -> bytes:
    """A sandbox webhook body, as the sandbox FSM sends it."""
    return json.dumps({"id": event_id or "evt_" + secrets.token_hex(8), "account_id": account_id, "topic": topic,
                       "occurred_at": iso(occurred_at), "data": data}).encode()


def signed_headers(account_id: str, secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", ACCOUNT_HEADER: account_id, SIGNATURE_HEADER: sign(secret, body)}


def _job_payload(session: Session, job: Job) -> dict[str, Any]:
    customer = session.get(Customer, job.customer_id) if job.customer_id else None
    tech = session.get(Technician, job.technician_id) if job.technician_id else None
    payload: dict[str, Any] = {"id": job.source_id, "job_type": job.job_type, "priority": job.priority,
                               "description": job.description}
    if customer is not None and customer.source_id:
        payload["customer"] = {"id": customer.source_id, "name": customer.name, "email": customer.email,
                               "phone": customer.phone, "address": customer_address(customer),
                               "lat": customer.lat, "lng": customer.lng}
    if tech is not None and tech.source_id:
        payload["technician"] = {"id": tech.source_id, "name": tech.name}
    return payload


def _advance(session: Session, tenant_id: str, now: datetime) -> tuple[str, dict[str, Any]] | None:
    job = session.scalar(
        sa.select(Job)
        .where(Job.tenant_id == tenant_id, Job.source == "sandbox", Job.status.in_(list(NEXT_STATUS)),
               Job.scheduled_start.between(now - timedelta(hours=12), now + timedelta(hours=6)))
        .order_by(Job.scheduled_start)
        .limit(1)
    )
    if job is None:
        return None
    status = NEXT_STATUS[job.status]
    payload = _job_payload(session, job)
    if status == "completed":
        payload["completion_notes"] = "Work completed; system tested and running."
    return f"job.{status}", {"job": payload}


def _book(session: Session, tenant_id: str, now: datetime, rng: random.Random) -> tuple[str, dict[str, Any]] | None:
    customer = session.scalar(
        sa.select(Customer).where(Customer.tenant_id == tenant_id, Customer.source == "sandbox")
        .order_by(sa.func.random()).limit(1)
    )
    tech = session.scalar(
        sa.select(Technician).where(Technician.tenant_id == tenant_id, Technician.source == "sandbox")
        .order_by(sa.func.random()).limit(1)
    )
    if customer is None or tech is None:
        return None
    start = (now + timedelta(hours=rng.randint(1, 4))).replace(minute=0, second=0, microsecond=0)
    job = Job(tenant_id=tenant_id, source="sandbox", source_id=f"J-LIVE-{secrets.token_hex(4).upper()}",
              customer_id=customer.id, technician_id=tech.id, job_type="repair", priority="P2",
              description="No cooling upstairs", status="created", status_changed_at=now,
              scheduled_start=start, scheduled_end=start + timedelta(hours=2))
    payload = _job_payload(session, job)
    payload.update({"scheduled_start": iso(start), "scheduled_end": iso(start + timedelta(hours=2))})
    return "job.created", {"job": payload}


def tick(rt: Runtime, rng: random.Random | None = None) -> int:
    """Emits one event per sandbox tenant; returns how many were accepted."""
    rng = rng or random.Random()  # noqa: S311 - demo data, not security
    now = rt.clock()
    with rt.db.session() as session:
        installs = session.execute(
            sa.select(Install.tenant_id, Install.account_id, Install.webhook_secret_encrypted)
            .where(Install.provider == "sandbox", Install.status == "active").limit(MAX_TENANTS_PER_TICK)
        ).all()
        planned = []
        for tenant_id, account_id, secret_encrypted in installs:
            event = _advance(session, tenant_id, now) or _book(session, tenant_id, now, rng)
            if event is not None:
                planned.append((account_id, rt.secrets.decrypt(secret_encrypted), event))
    sent = 0
    for account_id, secret, (topic, data) in planned:
        body = delivery_body(account_id, topic, now, data)
        accept(rt, "sandbox", signed_headers(account_id, secret, body), body)
        sent += 1
    return sent
