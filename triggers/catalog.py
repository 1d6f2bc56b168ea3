"""The trigger registry: an explicit tuple of trigger modules, rolled up by key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triggers import (
    action_failed,
    arrival_late,
    connection_needs_reconnect,
    invoice_created,
    invoice_not_sent_48h,
    invoice_paid,
    invoice_sent,
    job_arrived,
    job_completed,
    job_created,
    job_scheduled,
    job_status_changed,
    postcard_batch_ready,
    reconciliation_exception,
    recurring_visit_due,
    route_optimized,
    sla_at_risk,
    stock_below_threshold,
    tech_en_route,
)

if TYPE_CHECKING:
    from triggers.canonical import EventType
    from triggers.spec import TriggerSpec

#: Every trigger, in the order the manifests list them.
TRIGGERS: tuple[TriggerSpec, ...] = (
    job_created.TRIGGER,
    job_scheduled.TRIGGER,
    tech_en_route.TRIGGER,
    job_arrived.TRIGGER,
    job_completed.TRIGGER,
    job_status_changed.TRIGGER,
    route_optimized.TRIGGER,
    invoice_created.TRIGGER,
    invoice_sent.TRIGGER,
    invoice_paid.TRIGGER,
    invoice_not_sent_48h.TRIGGER,
    arrival_late.TRIGGER,
    sla_at_risk.TRIGGER,
    recurring_visit_due.TRIGGER,
    reconciliation_exception.TRIGGER,
    action_failed.TRIGGER,
    connection_needs_reconnect.TRIGGER,
    stock_below_threshold.TRIGGER,
    postcard_batch_ready.TRIGGER,
)

REGISTRY: dict[str, TriggerSpec] = {spec.key: spec for spec in TRIGGERS}


def get(key: str) -> TriggerSpec | None:
    """The trigger with this key, or None.

    Args:
        key: A trigger key such as "job_completed".

    Returns:
        The spec, or None when no trigger has that key.
    """
    return REGISTRY.get(key)


def triggers_for(event_type: EventType) -> list[TriggerSpec]:
    """The triggers a canonical event feeds.

    Args:
        event_type: The canonical event type.

    Returns:
        Every trigger whose `event_types` contains it.
    """
    return [spec for spec in TRIGGERS if event_type in spec.event_types]
