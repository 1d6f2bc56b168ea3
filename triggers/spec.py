"""What a trigger declares: one frozen spec per trigger module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from triggers.canonical import CanonicalEvent, EventType


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger, declared once; the API, the hooks and the manifests are generated from it.

    Attributes:
        key: Canonical snake_case key (also the module name and the Zapier key).
        noun: What one item is ("Job").
        label: Short title shown in Zapier and Make.
        help_text: One or two sentences for the Zap builder.
        output: Pydantic model of one item; every item has a unique `id`.
        sample: An example item, valid against `output`.
        event_types: The canonical events that feed it.
        render: Turns one canonical event into an item.
    """

    key: str
    noun: str
    label: str
    help_text: str
    output: type[BaseModel]
    sample: BaseModel
    event_types: frozenset[EventType]
    render: Callable[[CanonicalEvent], BaseModel]
