"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, with faults on demand."""

from __future__ import annotations

import asyncio
import socket
from email import message_from_bytes
from email.policy import default
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

if TYPE_CHECKING:
    from email.message import EmailMessage
    from types import TracebackType


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """aiosmtpd in a thread. `refuse` addresses get 550 at RCPT; `data_answer` replaces the next DATA
    reply (e.g. "451 4.3.0 Try again later"); `data_delay` holds the DATA reply that many seconds."""

    def __init__(self, *, username: str | None = None, password: str | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.data_answer: str | None = None
        self.data_delay = 0.0
        self.logins: list[str] = []
        self.port = _free_port()
        auth: dict[str, Any] = {}
        if username is not None:
            auth = {"authenticator": self._authenticator(username, password or ""), "auth_require_tls": False}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)

    def _authenticator(self, username: str, password: str) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
                username, password)
            if ok:
                self.logins.append(username)
            return AuthResult(success=ok)

        return check

    # -- aiosmtpd handler hooks ---------------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_answer is not None:
            answer, self.data_answer = self.data_answer, None
            return answer
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.controller.stop()
