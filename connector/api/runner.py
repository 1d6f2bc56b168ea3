"""Running actions: validate, claim the idempotency key, execute (inline or queued), record.

Every call is an ActionRun row. The same Idempotency-Key with the same body answers with the
first result; with a different body 422; while the first is still running 409.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import ValidationError
from rq.timeouts import BaseTimeoutException
from sqlalchemy.exc import IntegrityError

from actions.errors import ActionError
from actions.spec import Weight
from connector import logging as backbone_logging
from connector.api.callbacks import schedule_callback
from connector.connections.tokens import prepare as prepare_tokens
from connector.context import build_context
from connector.db.models import ActionAttempt, ActionRun, AuditEntry
from connector.db.models.runs import RunStatus
from connector.errors import action_error_body, action_error_status, error_body, fields_message, validation_fields
from connector.hooks.targets import BadTarget, check_target
from connector.jobs.queues import enqueue_after_commit
from triggers.canonical import CanonicalEvent, EventType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from actions.spec import ActionSpec
    from connector.runtime import Runtime

logger = logging.getLogger(__name__)

RUN_HEAVY_ACTION = "connector.jobs.tasks.run_heavy_action"
MAX_KEY_LENGTH = 200
INVALID_INPUT = "invalid_input"


@dataclass(frozen=True)
class Caller:
    kind: str  # oauth | user | support | system
    id: str | None
    label: str | None


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class NotReplayable(Exception):
    pass


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _now_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def _answer_of(run: ActionRun) -> Answer:
    headers = {"Backbone-Run-Id": run.id, "Idempotency-Key": run.idempotency_key}
    if run.status == RunStatus.SUCCEEDED:
        return Answer(run.http_status or 200, run.result, headers)
    if run.status == RunStatus.FAILED:
        error = dict(run.error or {})
        body = error_body(error.pop("code", "action_failed"), error.pop("message", "The action failed."),
                          error.pop("fields", []), run_id=run.id, **error)
        if error.get("retry_after"):
            headers["Retry-After"] = str(int(error["retry_after"]))
        return Answer(run.http_status or 422, body, headers)
    body = {"run_id": run.id, "status": run.status, "status_url": f"/api/v1/runs/{run.id}"}
    return Answer(202, body, headers)


# --- claiming the idempotency key ---------------------------------------------------------------

@dataclass
class Call:
    spec: ActionSpec
    tenant_id: str
    body: Any
    idempotency_key: str | None
    caller: Caller
    callback_url: str | None = None


def _invalid(call: Call) -> dict[str, Any] | None:
    if not isinstance(call.body, dict):
        return {"code": INVALID_INPUT, "message": "The body must be a JSON object.",
                "fields": [{"field": "body", "message": "Must be a JSON object."}], "retryable": False}
    try:
        call.spec.input.model_validate(call.body)
    except ValidationError as exc:
        fields = validation_fields(exc)
        return {"code": INVALID_INPUT, "message": fields_message(fields),
                "fields": fields, "retryable": False}
    return None


def _new_run(call: Call, key: str, digest: str, invalid: dict[str, Any] | None, now: Any) -> ActionRun:
    return ActionRun(
        tenant_id=call.tenant_id, action_key=call.spec.key, idempotency_key=key,
        idempotency_key_generated=call.idempotency_key is None, request_hash=digest,
        input=call.body if isinstance(call.body, dict) else {"body": call.body},
        status=RunStatus.FAILED if invalid else RunStatus.QUEUED, weight=call.spec.weight.value,
        error=invalid, http_status=422 if invalid else None, caller_kind=call.caller.kind,
        caller_id=call.caller.id, caller_label=call.caller.label, callback_url=call.callback_url,
        created_at=now, finished_at=now if invalid else None,
    )


def _existing(session: Session, call: Call, key: str) -> ActionRun | None:
    return session.scalar(
        sa.select(ActionRun).where(ActionRun.tenant_id == call.tenant_id, ActionRun.action_key == call.spec.key,
                                   ActionRun.idempotency_key == key).with_for_update()
    )


def _claim(rt: Runtime, call: Call) -> tuple[ActionRun, bool]:
    """The run for this call and whether it is new (False: an earlier call with this key)."""
    key = call.idempotency_key or uuid.uuid4().hex
    digest = request_hash(call.body)
    invalid = _invalid(call)
    for _ in range(2):
        with rt.db.session() as session:
            run = _existing(session, call, key)
            if run is None:
                run = _new_run(call, key, digest, invalid, rt.clock())
                try:
                    with session.begin_nested():
                        session.add(run)
                        session.flush()
                except IntegrityError:
                    continue  # a concurrent call with this key won the insert: read it
                return run, True
            if run.request_hash != digest and (run.error or {}).get("code") == INVALID_INPUT:
                # The first body was rejected before anything ran: the key may carry a fixed body.
                session.delete(run)
                session.flush()
                replacement = _new_run(call, key, digest, invalid, rt.clock())
                session.add(replacement)
                session.flush()
                return replacement, True
            return run, False
    raise RuntimeError("idempotency key claim did not settle")


def call_action(rt: Runtime, call: Call) -> Answer:
    if call.idempotency_key is not None and not (0 < len(call.idempotency_key) <= MAX_KEY_LENGTH):
        return Answer(422, error_body(INVALID_INPUT, "Idempotency-Key must be 1 to 200 characters.",
                                      [{"field": "Idempotency-Key", "message": "1 to 200 characters."}]))
    if call.callback_url is not None:
        problem = _callback_problem(rt, call)
        if problem:
            return Answer(422, error_body(INVALID_INPUT, f"X-Callback-Url: {problem}",
                                          [{"field": "X-Callback-Url", "message": problem}]))
    run, new = _claim(rt, call)
    backbone_logging.bind(run_id=run.id, tenant_id=call.tenant_id)
    if not new:
        return _repeat(run, call)
    if run.status == RunStatus.FAILED:  # invalid input, recorded
        return _answer_of(run)
    if call.spec.weight == Weight.HEAVY:
        enqueue_heavy(rt, run.id, 1)
        return _answer_of(run)
    return _answer_of(execute(rt, call.spec, run.id, reason="call"))


def _callback_problem(rt: Runtime, call: Call) -> str | None:
    """Why the callback URL is unusable; fast actions answer inline and ignore it."""
    if call.spec.weight != Weight.HEAVY:
        call.callback_url = None
        return None
    try:
        check_target(call.callback_url or "", allow_private=rt.settings.hooks_allow_private_targets)
    except BadTarget as exc:
        return str(exc)
    return None


def _repeat(run: ActionRun, call: Call) -> Answer:
    if run.request_hash != request_hash(call.body):
        return Answer(422, error_body(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different body: use a new key for a new request.",
            [{"field": "Idempotency-Key", "message": "Already used with a different body."}], run_id=run.id))
    if run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return Answer(409, error_body("in_progress", "The first request with this Idempotency-Key is still running.",
                                      run_id=run.id, status_url=f"/api/v1/runs/{run.id}"),
                      {"Retry-After": "1", "Backbone-Run-Id": run.id})
    answer = _answer_of(run)
    answer.headers["Idempotent-Replayed"] = "true"
    return answer


# --- executing a run ---------------------------------------------------------------------------

def _start_attempt(rt: Runtime, run_id: str, reason: str, actor: str | None) -> tuple[ActionRun, int] | None:
    now = rt.clock()
    with rt.db.session() as session:
        run = session.scalar(sa.select(ActionRun).where(ActionRun.id == run_id).with_for_update())
        if run is None or run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return None
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.started_at = run.started_at or now
        session.add(ActionAttempt(tenant_id=run.tenant_id, run_id=run.id, number=run.attempts, reason=reason,
                                  actor=actor, status=RunStatus.RUNNING, started_at=now))
        return run, run.attempts


def _finish(session: Session, rt: Runtime, run_id: str, number: int, *, status: RunStatus,
            result: dict[str, Any] | None, error: dict[str, Any] | None, http_status: int, started: float) -> None:
    now = rt.clock()
    run = session.scalar(sa.select(ActionRun).where(ActionRun.id == run_id).with_for_update())
    if run is None:
        raise LookupError(f"run {run_id} vanished while running")
    attempt = session.scalar(sa.select(ActionAttempt).where(ActionAttempt.run_id == run_id,
                                                            ActionAttempt.number == number))
    if attempt is not None:
        attempt.status, attempt.error, attempt.finished_at = status, error, now
        attempt.duration_ms = _now_ms(started)
    run.status, run.result, run.error, run.http_status = status, result, error, http_status
    if status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        run.finished_at = now
        run.duration_ms = int((now - (run.started_at or now)).total_seconds() * 1000)
        schedule_callback(session, rt, run)
    if status == RunStatus.FAILED:
        _announce_failure(session, rt, run, number, error or {})


def _announce_failure(session: Session, rt: Runtime, run: ActionRun, number: int, error: dict[str, Any]) -> None:
    """Fires `action_failed` (once per failed attempt: a replay that fails again fires again)."""
    from connector.ingest.recorder import record_event

    record_event(session, rt.queues, run.tenant_id, CanonicalEvent(
        event_id=f"action.failed:{run.id}:{number}", type=EventType.ACTION_FAILED, occurred_at=rt.clock(),
        source="backbone", source_id=run.id, subject_id=run.id,
        data={"run_id": run.id, "action": run.action_key, "attempts": run.attempts,
              "http_status": run.http_status, "error_code": error.get("code", "error"),
              "error_message": error.get("message", ""), "retryable": bool(error.get("retryable")),
              "fields": [f.get("field") for f in error.get("fields", []) if isinstance(f, dict)],
              "admin_url": f"{rt.settings.base_url.rstrip('/')}/admin/runs/{run.id}"},
    ))


def error_dict(exc: ActionError) -> dict[str, Any]:
    error = action_error_body(exc)["error"]
    error.pop("request_id", None)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        error["retry_after"] = retry_after
    return dict(error)


def execute(rt: Runtime, spec: ActionSpec, run_id: str, *, reason: str, actor: str | None = None,
            final: bool = True) -> ActionRun:
    """Runs one attempt. The action's writes and the run's success commit together.

    Args:
        final: Whether a retryable failure is final (False while RQ still has retries: the run
            goes back to queued).
    """
    begun = _start_attempt(rt, run_id, reason, actor)
    if begun is None:
        return load_run(rt, run_id)
    run, number = begun
    started = time.monotonic()
    failure: tuple[dict[str, Any], int] | None = None
    # Provider tokens due soon are refreshed now, outside the action's transaction.
    prepare_tokens(rt, run.tenant_id)
    try:
        with rt.db.session() as session:
            ctx = build_context(rt, session, tenant_id=run.tenant_id, run_id=run.id,
                                idempotency_key=run.idempotency_key)
            output = spec.run(ctx, spec.input.model_validate(run.input))
            _finish(session, rt, run.id, number, status=RunStatus.SUCCEEDED,
                    result=output.model_dump(mode="json"), error=None, http_status=200, started=started)
    except ActionError as exc:
        failure = (error_dict(exc), action_error_status(exc))
    except BaseTimeoutException:
        # RQ's job timeout interrupted the action: record it, then let RQ see it too.
        limit = rt.settings.action_timeout_seconds
        timeout = {"code": "timeout", "message": f"The action did not finish within {limit} seconds.",
                   "fields": [], "retryable": True}
        _fail(rt, run.id, number, timeout, 504, started, final=final)
        raise
    except Exception:
        logger.exception("action.run.crashed action=%s run=%s", spec.key, run_id)
        failure = ({"code": "internal_error", "message": "The action failed unexpectedly; support has the details.",
                    "fields": [], "retryable": True}, 500)
    if failure is not None:
        _fail(rt, run.id, number, failure[0], failure[1], started, final=final)
    return load_run(rt, run_id)


def _fail(rt: Runtime, run_id: str, number: int, error: dict[str, Any], http_status: int, started: float,
          *, final: bool) -> None:
    status = RunStatus.FAILED if final or not error.get("retryable") else RunStatus.QUEUED
    with rt.db.session() as session:
        _finish(session, rt, run_id, number, status=status, result=None, error=error, http_status=http_status,
                started=started)
    logger.warning("action.run.failed run=%s code=%s final=%s", run_id, error["code"], status == RunStatus.FAILED)


def load_run(rt: Runtime, run_id: str) -> ActionRun:
    with rt.db.session() as session:
        run = session.get(ActionRun, run_id)
        if run is None:
            raise LookupError(f"no run {run_id}")
        return run


def enqueue_heavy(rt: Runtime, run_id: str, attempt: int, session: Session | None = None) -> None:
    from rq import Retry

    def _enqueue() -> None:
        run = load_run(rt, run_id)
        from actions.catalog import get

        spec = get(run.action_key)
        queue = spec.queue if spec else "default"
        retries = rt.settings.action_max_retries
        rt.queues.enqueue(queue, RUN_HEAVY_ACTION, run_id, job_id=f"run-{run_id}-{attempt}",
                          timeout=rt.settings.action_timeout_seconds,
                          retry=Retry(max=retries, interval=rt.settings.retry_delays()) if retries else None)

    if session is None:
        _enqueue()
    else:
        enqueue_after_commit(session, _enqueue)


# --- replay -------------------------------------------------------------------------------------

def replay(rt: Runtime, spec: ActionSpec, run_id: str, *, actor_id: str | None, actor_label: str) -> ActionRun:
    """Runs a failed run again under its original idempotency key, and audits who did it.

    Raises:
        NotReplayable: The run did not fail, or failed on input that can never succeed.
    """
    with rt.db.session() as session:
        run = session.scalar(sa.select(ActionRun).where(ActionRun.id == run_id).with_for_update())
        if run is None:
            raise NotReplayable("No such run.")
        if run.status != RunStatus.FAILED:
            raise NotReplayable(f"Only failed runs can be replayed (this one is {run.status}).")
        if (run.error or {}).get("code") == INVALID_INPUT:
            raise NotReplayable("The input was invalid: replaying it would fail the same way.")
        run.status = RunStatus.QUEUED
        run.replay_count += 1
        session.add(AuditEntry(actor_user_id=actor_id, actor_email=actor_label, action="run.replay",
                               target_type="action_run", target_id=run.id, tenant_id=run.tenant_id,
                               detail={"action": run.action_key, "idempotency_key": run.idempotency_key,
                                       "previous_error": run.error}))
        if spec.weight == Weight.HEAVY:
            enqueue_heavy(rt, run.id, run.attempts + 1, session)
    logger.info("action.run.replayed run=%s by=%s", run_id, actor_label)
    if spec.weight == Weight.HEAVY:
        return load_run(rt, run_id)
    return execute(rt, spec, run_id, reason="replay", actor=actor_label)
