"""What an action declares: one frozen spec per action module."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pydantic import BaseModel

    from actions.context import Context, SearchContext


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


@dataclass(frozen=True)
class SearchSpec:
    """A search, declared once: it finds records and answers with a list (Zapier uses the first).

    Searches only read: no run is recorded, nothing is sent anywhere, so they need no
    Idempotency-Key. The API (`POST /api/v1/searches/<key>`) and both apps come from the spec.

    Attributes:
        key: Canonical snake_case key (also the module name and the Zapier search key).
        noun: What the search finds ("Job").
        label: Short title shown in Zapier and Make ("Find Job").
        help_text: One or two sentences for the Zap builder.
        input: Pydantic model of the criteria.
        output: Pydantic model of one result.
        sample: An example result, valid against `output`.
        run: `run(ctx, data) -> list of output`, best match first.
    """

    key: str
    noun: str
    label: str
    help_text: str
    input: type[BaseModel]
    output: type[BaseModel]
    sample: BaseModel
    run: Callable[[SearchContext, Any], Sequence[BaseModel]]
