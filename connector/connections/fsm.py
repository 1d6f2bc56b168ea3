"""actions.context.Fsm: writes back to the field-service system a job came from."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from actions.errors import Conflict, InputError, UpstreamUnavailable
from connector.connections.clients import client_for, close_client
from connector.db.models import Install, InstallStatus
from connector.providers import PROVIDERS
from connector.providers.http import ApiError, UpstreamError
from connector.sandbox.remote import SandboxNote

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.runtime import Runtime

logger = logging.getLogger(__name__)


def _note_id(answer: Any) -> str:
    if isinstance(answer, dict):
        return str(answer.get("id") or "")
    return str(answer or "")


class ConnectedFsm:
    """The tenant's connected FSMs, reached through their adapters' API clients."""

    def __init__(self, rt: Runtime, session: Session, tenant_id: str) -> None:
        self.rt = rt
        self.session = session
        self.tenant_id = tenant_id

    def _install(self, source: str) -> Install:
        install = self.session.scalar(sa.select(Install).where(Install.tenant_id == self.tenant_id,
                                                               Install.provider == source))
        label = PROVIDERS[source].label if source in PROVIDERS else source
        if install is None or install.status != InstallStatus.ACTIVE:
            state = "not connected" if install is None else install.status.replace("_", " ")
            raise Conflict(f"{label} is {state}: reconnect it in Backbone, then replay this run.")
        return install

    def add_job_note(self, source: str, source_id: str, text: str) -> str:
        install = self._install(source)
        if source == "sandbox":
            with self.rt.sandbox_db.session() as sandbox:
                note = SandboxNote(account_id=install.account_id, job_id=source_id, text=text)
                sandbox.add(note)
                sandbox.flush()
                return note.id
        client = client_for(self.rt, install, in_transaction=True)
        if not hasattr(client, "add_job_note"):
            raise Conflict(f"{PROVIDERS[source].label} keeps no job notes Backbone can write.")
        try:
            return _note_id(client.add_job_note(source_id, text))
        except ApiError as exc:
            label = PROVIDERS[source].label
            if exc.retryable:
                raise UpstreamUnavailable(f"{label} did not take the note ({exc.message}); replay the run.",
                                          retry_after=exc.retry_after) from exc
            if isinstance(exc, UpstreamError):
                # Not repeatable: the note may exist. Say so rather than risk a second one.
                raise UpstreamUnavailable(f"{label} did not answer in time; the note may have been added. "
                                          "Check the job before replaying.") from exc
            raise InputError("job_id", f"{label} refused the note: {exc.message}") from exc
        finally:
            close_client(client)
