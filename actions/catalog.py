"""The action registry: an explicit tuple of action modules, rolled up by key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions import add_job_note, dispatch_job, generate_invoice, insert_emergency, optimize_route, reconcile

if TYPE_CHECKING:
    from actions.spec import ActionSpec

#: Every action, in the order the manifests list them.
ACTIONS: tuple[ActionSpec, ...] = (
    generate_invoice.ACTION, reconcile.ACTION, optimize_route.ACTION, dispatch_job.ACTION, insert_emergency.ACTION,
    add_job_note.ACTION,
)

REGISTRY: dict[str, ActionSpec] = {spec.key: spec for spec in ACTIONS}


def get(key: str) -> ActionSpec | None:
    """The action with this key, or None.

    Args:
        key: An action key such as "generate_invoice".

    Returns:
        The spec, or None when no action has that key.
    """
    return REGISTRY.get(key)
