"""The action registry: an explicit tuple of action modules, rolled up by key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions import (
    add_job_note,
    dispatch_job,
    find_customer,
    find_job,
    find_technician,
    generate_invoice,
    get_kpis,
    insert_emergency,
    notify_customer,
    optimize_route,
    queue_postcard,
    reconcile,
    record_job_completion,
    reorder_stock,
    schedule_recurring,
    set_job_form,
)

if TYPE_CHECKING:
    from actions.spec import ActionSpec, SearchSpec

#: Every action, in the order the manifests list them.
ACTIONS: tuple[ActionSpec, ...] = (
    generate_invoice.ACTION, reconcile.ACTION, optimize_route.ACTION, dispatch_job.ACTION, insert_emergency.ACTION,
    add_job_note.ACTION,
    reorder_stock.ACTION,
    record_job_completion.ACTION, set_job_form.ACTION,
    queue_postcard.ACTION,
    notify_customer.ACTION,
    schedule_recurring.ACTION,
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


# --- searches: a registry of their own (they read, answer a list, and record no run) ------------

#: Every search, in the order the manifests list them.
SEARCHES: tuple[SearchSpec, ...] = (find_job.SEARCH, find_customer.SEARCH, find_technician.SEARCH, get_kpis.SEARCH)

SEARCH_REGISTRY: dict[str, SearchSpec] = {spec.key: spec for spec in SEARCHES}


def get_search(key: str) -> SearchSpec | None:
    """The search with this key, or None.

    Args:
        key: A search key such as "find_job".

    Returns:
        The spec, or None when no search has that key.
    """
    return SEARCH_REGISTRY.get(key)
