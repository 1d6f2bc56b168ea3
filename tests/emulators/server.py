"""The base of every emulator: a Flask app on 127.0.0.1 in a thread, with faults on demand."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from types import TracebackType

    from werkzeug.serving import BaseWSGIServer


@dataclass
class Fault:
    """An answer the emulator gives instead of (or after) its real one, `times` times."""

    path_prefix: str
    times: int
    status: int = 0  # 0: answer normally (used with `delay`)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0  # seconds to hold the answer AFTER doing the work (a client timeout)
    method: str | None = None


@dataclass(frozen=True)
class Seen:
    """One request the emulator received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class Emulator:
    """A provider emulator. Subclasses add routes to `self.app` in their __init__."""

    def __init__(self, name: str) -> None:
        self.app = Flask(name)
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.lock = threading.RLock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app.before_request(self._before)
        self.app.after_request(self._after)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.app.name}-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- faults ----------------------------------------------------------------------------
    def fail_next(self, path_prefix: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
                  body: Any = None, method: str | None = None) -> None:
        """The next `times` requests under `path_prefix` get `status` (e.g. 429 with Retry-After, 503)."""
        with self.lock:
            self.faults.append(Fault(path_prefix, times, status, headers or {}, body, method=method))

    def delay_next(self, path_prefix: str, seconds: float, *, times: int = 1, method: str | None = None) -> None:
        """The next `times` requests are processed, then answered only after `seconds` (client timeout)."""
        with self.lock:
            self.faults.append(Fault(path_prefix, times, delay=seconds, method=method))

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path.startswith(path_prefix) and (method is None or s.method == method)]

    def _take_fault(self) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if request.path.startswith(fault.path_prefix) and fault.method in (None, request.method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _before(self) -> Response | None:
        with self.lock:
            self.seen.append(Seen(request.method, request.path, request.query_string.decode(),
                                  dict(request.headers), request.get_data(cache=True)))
        fault = self._take_fault()
        if fault is None:
            return None
        if fault.status:
            body = fault.body if fault.body is not None else {"error": "emulated fault", "status": fault.status}
            response = self.app.json.response(body) if not isinstance(body, str | bytes) else Response(body)
            response.status_code = fault.status
            for key, value in fault.headers.items():
                response.headers[key] = value
            return response
        g.emulator_delay = fault.delay
        return None

    def _after(self, response: Response) -> Response:
        delay = getattr(g, "emulator_delay", 0.0)
        if delay:
            time.sleep(delay)
        return response
