"""The OAuth scopes Backbone grants to Zapier and Make, with the words the consent page shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Every scope, in display order, with the description the user consents to.
SCOPES: dict[str, str] = {
    "profile": "See your name, email address and company name.",
    "triggers": "Read your jobs, invoices, stock and other records to start Zaps and scenarios.",
    "hooks": "Subscribe to instant notifications when something happens in your company.",
    "actions": "Run actions for your company, such as generating invoices or optimizing routes.",
}


def scope_list(scope: str | None) -> list[str]:
    """The scopes in a space-separated scope string, duplicates removed, in SCOPES order."""
    requested = set((scope or "").split())
    known = [name for name in SCOPES if name in requested]
    return known + sorted(requested - set(SCOPES))


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes Backbone does not define."""
    return sorted(set(scopes) - set(SCOPES))


def normalize(scope: str | None) -> str:
    """A scope string in canonical form: known scopes only, in SCOPES order."""
    return " ".join(name for name in scope_list(scope) if name in SCOPES)
