"""Replaying failed runs from the admin page, one or many, each audited by the runner.

`connector.api.runner.replay` does the work: it reuses the run's original idempotency key (so
the accounting system answers with the invoice it already made rather than a second one) and
writes the AuditEntry in the same transaction that re-queues the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from actions.catalog import get
from connector.api.runner import NotReplayable
from connector.api.runner import replay as run_again
from connector.db.models import ActionRun
from connector.db.models.runs import RunStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from connector.accounts.users import SignedInUser
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

#: More than a page of runs in one request is a mistake, not a bulk replay.
MAX_BULK = 100


@dataclass(frozen=True)
class ReplayOutcome:
    run_id: str
    # The run's status after the replay; None when it was not replayed.
    status: str | None
    # Why it was not replayed, or the error it failed with again.
    message: str | None = None
    attempts: int = 0
    not_found: bool = False

    @property
    def replayed(self) -> bool:
        return self.status is not None


def replay_one(rt: Runtime, run_id: str, actor: SignedInUser) -> ReplayOutcome:
    """Replays one run and says how it went; never raises for a run that cannot be replayed."""
    with rt.db.session() as session:
        run = session.get(ActionRun, run_id)
        action_key = run.action_key if run else None
    if action_key is None:
        return ReplayOutcome(run_id, None, "No such run.", not_found=True)
    spec = get(action_key)
    if spec is None:
        return ReplayOutcome(run_id, None, f"The action {action_key!r} no longer exists.")
    try:
        result = run_again(rt, spec, run_id, actor_id=actor.id, actor_label=actor.email)
    except NotReplayable as exc:
        return ReplayOutcome(run_id, None, str(exc))
    message = (result.error or {}).get("message") if result.status == RunStatus.FAILED else None
    return ReplayOutcome(run_id, result.status, message, result.attempts)


def replay_many(rt: Runtime, run_ids: Iterable[str], actor: SignedInUser) -> list[ReplayOutcome]:
    """Replays each run in turn; one that cannot be replayed, or crashes, does not stop the rest."""
    outcomes = []
    for run_id in dict.fromkeys(run_ids):  # unique, in the order given
        try:
            outcomes.append(replay_one(rt, run_id, actor))
        # A bulk replay reports a crashed run and goes on with the others.
        except Exception:
            logger.exception("admin.replay.crashed run=%s", run_id)
            outcomes.append(ReplayOutcome(run_id, None, "The replay crashed; the log has the details."))
    return outcomes


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(outcomes: list[ReplayOutcome]) -> str:
    """One sentence for the flash, e.g. "Replayed 3 runs: 2 succeeded, 1 failed again."."""
    replayed = [o for o in outcomes if o.replayed]
    skipped = [o for o in outcomes if not o.replayed]
    parts = []
    if replayed:
        counts = Counter(o.status for o in replayed)
        words = {
            RunStatus.SUCCEEDED: "succeeded",
            RunStatus.FAILED: "failed again",
            RunStatus.QUEUED: "queued for the worker",
            RunStatus.RUNNING: "still running",
        }
        detail = ", ".join(f"{counts[status]} {word}" for status, word in words.items() if counts[status])
        parts.append(f"Replayed {_plural(len(replayed), 'run')}: {detail}.")
    if skipped:
        reasons = "; ".join(f"{o.run_id[:8]}: {(o.message or '').rstrip('.')}" for o in skipped[:5])
        more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        parts.append(f"Not replayed: {_plural(len(skipped), 'run')} ({reasons}{more}).")
    return " ".join(parts) or "Select at least one failed run to replay."


def detail_message(outcome: ReplayOutcome) -> str:
    """The flash after replaying a single run from its detail page."""
    if not outcome.replayed:
        return f"Not replayed: {outcome.message}"
    if outcome.status == RunStatus.SUCCEEDED:
        return f"Replayed: the run succeeded on attempt {outcome.attempts}."
    if outcome.status == RunStatus.FAILED:
        return f"Replayed, but the run failed again: {outcome.message}"
    return "Replayed: the run is queued for the worker."
