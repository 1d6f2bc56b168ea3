"""Engine and session factory built from Settings, and the one transaction helper."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from connector.jobs.queues import discard_after_commit, run_after_commit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connector.config import Settings


class Database:
    """One engine and one session factory per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            # Threads of the dev server and the in-process worker share the file.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            sa.event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Jobs are enqueued only after the rows they name are committed.
        sa.event.listen(self.sessionmaker, "after_commit", run_after_commit)
        sa.event.listen(self.sessionmaker, "after_rollback", discard_after_commit)
        # A forked RQ work horse must not reuse the parent's pooled connections.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self.engine.dispose(close=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: commit on success, roll back on error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, say when a transaction begins (SQLAlchemy's SQLite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def database_for(settings: Settings) -> Database:
    """The Database for these settings (creating the data dir for SQLite)."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.sqlalchemy_url)


def _sqlite_begin_immediate(connection: sa.Connection) -> None:
    # Take the write lock at BEGIN: two threads that both read then write would otherwise
    # deadlock on the lock upgrade and one would fail with "database is locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")
