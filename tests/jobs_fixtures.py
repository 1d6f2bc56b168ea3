"""A heavy test action, importable by RQ: it fails, sleeps or succeeds as its input says.

`attempts_to_fail` counts down in a module-level dict, so retries can be observed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from actions.errors import UpstreamUnavailable
from actions.spec import ActionSpec, Weight

if TYPE_CHECKING:
    from actions.context import Context

CALLS: dict[str, int] = {}
TICKS: dict[str, int] = {}


class SlowInput(BaseModel):
    """Input of the test action."""

    name: str = Field(description="A label for the call.")
    fail_times: int = Field(0, description="Fail with a retryable error this many times first.")
    sleep_seconds: float = Field(0, description="Sleep this long on each attempt.")


class SlowOutput(BaseModel):
    """Output of the test action."""

    name: str = Field(description="The label.")
    calls: int = Field(description="How many times it ran.")


def run(ctx: Context, data: SlowInput) -> SlowOutput:
    """Fails, sleeps or answers, as told."""
    CALLS[data.name] = CALLS.get(data.name, 0) + 1
    ticks = int(data.sleep_seconds / 0.05)
    for _ in range(ticks):  # small steps: an in-thread timeout lands between them
        time.sleep(0.05)
        TICKS[data.name] = TICKS.get(data.name, 0) + 1
    if CALLS[data.name] <= data.fail_times:
        raise UpstreamUnavailable(f"simulated outage #{CALLS[data.name]}")
    return SlowOutput(name=data.name, calls=CALLS[data.name])


HEAVY_TEST_ACTION = ActionSpec(
    key="slow_test", noun="Thing", label="Slow Test", help_text="A heavy action used by the tests.",
    input=SlowInput, output=SlowOutput, sample=SlowOutput(name="x", calls=1), weight=Weight.HEAVY, run=run,
)
