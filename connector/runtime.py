"""The process-wide runtime: settings, database, queues and the secret box, built once.

The web app and the in-process worker share one Runtime; a separate worker process builds its
own from the environment the first time a job asks for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.config import Settings
from connector.crypto import SecretBox
from connector.db.session import Database, database_for
from connector.jobs.queues import Queues

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime


@dataclass
class Runtime:
    settings: Settings
    db: Database
    queues: Queues
    secrets: SecretBox
    clock: Callable[[], datetime]
    # The sandbox FSM/accounting plays a remote system: its own storage (see connector.sandbox).
    sandbox_db: Database

    def close(self) -> None:
        self.db.dispose()
        self.sandbox_db.dispose()
        self.queues.close()


def build_runtime(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> Runtime:
    from connector.db.base import utcnow
    from connector.sandbox.remote import sandbox_database

    return Runtime(
        settings=settings,
        db=database_for(settings),
        queues=Queues.for_settings(settings),
        secrets=SecretBox(settings.effective_secret_key(), settings.previous_secret_keys()),
        clock=clock or utcnow,
        sandbox_db=sandbox_database(settings),
    )


_lock = threading.Lock()
_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    """Makes `runtime` the one jobs in this process use."""
    global _current
    with _lock:
        _current = runtime


def current() -> Runtime:
    """The installed runtime, built from the environment on first use (RQ work horses)."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime(Settings())
        return _current


def uninstall(runtime: Runtime) -> None:
    global _current
    with _lock:
        if _current is runtime:
            _current = None
