"""What an action declares: one frozen spec per action module."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from actions.context import Context


class Weight(enum.StrEnum):
    """Fast actions answer inline; heavy ones run on a queue and answer 202."""

    FAST = "fast"
    HEAVY = "heavy"


@dataclass(frozen=True)
class ActionSpec:
    """An action, declared once; the API, the admin page and the manifests come from it.

    Attributes:
        key: Canonical snake_case key (also the module name and the Zapier key).
        noun: What the action makes or changes ("Invoice").
        label: Short title shown in Zapier and Make.
        help_text: One or two sentences for the Zap builder.
        input: Pydantic model of the input.
        output: Pydantic model of the result.
        sample: An example result, valid against `output`.
        weight: FAST or HEAVY.
        run: `run(ctx, data) -> output`.
        queue: For heavy actions, the RQ queue that runs them.
    """

    key: str
    noun: str
    label: str
    help_text: str
    input: type[BaseModel]
    output: type[BaseModel]
    sample: BaseModel
    weight: Weight
    run: Callable[[Context, Any], BaseModel]
    queue: str = "default"
