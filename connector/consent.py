"""SqlConsentLedger: the consent ledger over `consent_entries` (implements actions.context.ConsentLedger).

The rules (which entry decides, the defaults, the FSM's mail flags) are actions.consent.decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from actions.consent import check, decide
from connector.db.models import ConsentEntry, Customer

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session

    from actions.context import ConsentDecision


class SqlConsentLedger:
    """The tenant's ledger, in the caller's transaction."""

    def __init__(self, session: Session, tenant_id: str, clock: Callable[[], datetime]) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.clock = clock

    def newest(self, customer_id: str, channel: str, purpose: str) -> ConsentEntry | None:
        """The entry that decides, if any."""
        return self.session.scalar(
            sa.select(ConsentEntry)
            .where(ConsentEntry.tenant_id == self.tenant_id, ConsentEntry.customer_id == customer_id,
                   ConsentEntry.channel == channel, ConsentEntry.purpose == purpose)
            .order_by(ConsentEntry.seq.desc()).limit(1)
        )

    def decision(self, customer_id: str, channel: str, purpose: str) -> ConsentDecision:
        check(channel, purpose)
        entry = self.newest(customer_id, channel, purpose)
        flags = self.session.execute(
            sa.select(Customer.mail_consent_marketing, Customer.mail_consent_operational)
            .where(Customer.tenant_id == self.tenant_id, Customer.id == customer_id)
        ).first()
        fsm_flag = None
        if flags is not None and channel == "mail":
            fsm_flag = flags.mail_consent_marketing if purpose == "marketing" else flags.mail_consent_operational
        return decide(channel, purpose, known_customer=flags is not None,
                      newest_granted=None if entry is None else entry.granted, fsm_flag=fsm_flag)

    def record(self, customer_id: str, channel: str, purpose: str, *, granted: bool, source: str,
               evidence: str) -> None:
        check(channel, purpose, source)
        self.session.add(ConsentEntry(tenant_id=self.tenant_id, customer_id=customer_id, channel=channel,
                                      purpose=purpose, granted=granted, source=source, evidence=evidence[:2000],
                                      recorded_at=self.clock()))
        self.session.flush()
