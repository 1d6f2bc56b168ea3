"""SqlConsentLedger on both backends: append-only, newest entry decides, FSM flags, tenant scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.context import ConsentDecision
from connector.consent import SqlConsentLedger
from connector.db.models import ConsentEntry, Customer
from tests.fakes import NOW

if TYPE_CHECKING:
    from connector.runtime import Runtime
    from tests.conftest import TenantInfo


def _customer(runtime: Runtime, tenant_id: str, *, marketing: bool = True, operational: bool = True) -> str:
    with runtime.db.session() as session:
        row = Customer(tenant_id=tenant_id, name="Ada", mail_consent_marketing=marketing,
                       mail_consent_operational=operational)
        session.add(row)
        session.flush()
        return row.id


def test_sql_ledger_records_and_decides(runtime: Runtime, tenant: TenantInfo, other_tenant: TenantInfo) -> None:
    c1 = _customer(runtime, tenant.tenant_id)
    flagged = _customer(runtime, tenant.tenant_id, marketing=False)
    with runtime.db.session() as session:
        ledger = SqlConsentLedger(session, tenant.tenant_id, lambda: NOW)
        assert ledger.decision(c1, "mail", "marketing") == ConsentDecision(True, "default_existing_customer")
        assert ledger.decision(c1, "sms", "marketing") == ConsentDecision(False, "no_marketing_consent")
        assert ledger.decision(flagged, "mail", "marketing") == ConsentDecision(False, "do_not_mail")
        assert ledger.decision(flagged, "mail", "operational").allowed
        assert ledger.decision("nope", "mail", "operational") == ConsentDecision(False, "unknown_customer")
        ledger.record(c1, "mail", "marketing", granted=False, source="support", evidence="phone call")
        ledger.record(c1, "sms", "marketing", granted=True, source="form", evidence="web form")
        ledger.record(flagged, "mail", "marketing", granted=True, source="form", evidence="signed card")
    with runtime.db.session() as session:
        ledger = SqlConsentLedger(session, tenant.tenant_id, lambda: NOW)
        assert ledger.decision(c1, "mail", "marketing") == ConsentDecision(False, "opted_out")
        assert ledger.decision(c1, "sms", "marketing") == ConsentDecision(True, "granted")
        assert ledger.decision(flagged, "mail", "marketing") == ConsentDecision(True, "granted")
        ledger.record(c1, "mail", "marketing", granted=True, source="form", evidence="re-subscribed")
        assert ledger.decision(c1, "mail", "marketing") == ConsentDecision(True, "granted")
        assert session.query(ConsentEntry).count() == 4  # appended, never updated
        # Another tenant's ledger sees none of it.
        other = SqlConsentLedger(session, other_tenant.tenant_id, lambda: NOW)
        assert other.decision(c1, "mail", "marketing") == ConsentDecision(False, "unknown_customer")


def test_a_customer_synced_from_an_fsm_without_mail_flags_is_not_opted_out(client: object, runtime: Runtime,
                                                                          tenant: TenantInfo) -> None:
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from tests.helpers import post_sandbox

    post_sandbox(client, tenant, "job.created", datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    with runtime.db.session() as session:
        customer = session.scalars(sa.select(Customer).where(Customer.tenant_id == tenant.tenant_id)).one()
        assert (customer.mail_consent_marketing, customer.mail_consent_operational) == (None, None)
        ledger = SqlConsentLedger(session, tenant.tenant_id, lambda: NOW)
        assert ledger.decision(customer.id, "mail", "marketing") == ConsentDecision(True, "default_existing_customer")
        assert ledger.decision(customer.id, "mail", "operational").allowed
