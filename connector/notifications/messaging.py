"""actions.context.Messenger: SMS through Twilio's REST API, email through SMTP.

Both are at-most-once. Twilio has no idempotency key and an SMTP server that took the DATA may still
drop the connection before answering, so a send is never retried once it may have reached the
provider: a timeout, a 5xx or a dropped connection raises `MessageOutcomeUnknown`. Only answers that
prove nothing was taken (429, 4xx, a connection that never opened, an SMTP 4xx/5xx refusal) raise
`MessageRefused`, which the action may try again later.

Twilio: ``POST {api_url}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``,
``Body`` and ``From`` (or ``MessagingServiceSid``), HTTP Basic ``AccountSid:AuthToken``; 201 with the
Message resource (``sid``, ``status``); errors as ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import requests
from urllib3.exceptions import NewConnectionError

from actions.context import MessageOutcomeUnknown, MessageReceipt, MessageRefused
from connector.providers.http import ApiClient, ApiError, ClientError, RateLimited, RetryPolicy, Unauthorized

if TYPE_CHECKING:
    from connector.config import Settings, SmtpSettings, TwilioSettings

logger = logging.getLogger(__name__)

#: Twilio error codes (https://www.twilio.com/docs/api/errors) that mean the recipient said STOP.
TWILIO_OPTED_OUT = frozenset({21610})
#: A 429 is retried (Twilio did not act on it), but a notification is not worth a long wait.
TWILIO_POLICY = RetryPolicy(max_attempts=3, backoff_base=0.5, backoff_cap=2.0, max_retry_after=5.0)


def _never_sent(exc: ApiError) -> bool:
    """True when the request never left: the connection could not be opened (refused, connect timeout)."""
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and cause.args:
        inner = cause.args[0]
        return isinstance(getattr(inner, "reason", inner), NewConnectionError)
    return False


class TwilioSms:
    """Sends one SMS per call through Twilio's Messages resource."""

    def __init__(self, settings: TwilioSettings, *, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session

    def _client(self) -> ApiClient:
        cfg = self.settings
        basic = base64.b64encode(f"{cfg.account_sid}:{cfg.auth_token}".encode()).decode()
        return ApiClient(cfg.api_url, auth=lambda: {"Authorization": f"Basic {basic}"},
                         default_headers={"Accept": "application/json"}, timeout=cfg.timeout_seconds,
                         policy=TWILIO_POLICY, session=self.session)

    def send(self, to: str, body: str) -> MessageReceipt:
        cfg = self.settings
        form = {"To": to, "Body": body}
        if cfg.messaging_service_sid:
            form["MessagingServiceSid"] = cfg.messaging_service_sid
        else:
            form["From"] = cfg.from_number
        path = f"/2010-04-01/Accounts/{cfg.account_sid}/Messages.json"
        with self._client() as client:
            try:
                # Not idempotent: a timeout or 5xx is not retried (the message may exist); a 429 is.
                response = client.request("POST", path, data=form, idempotent=False)
            except RateLimited as exc:
                raise MessageRefused("Twilio is throttling Backbone (429).", retryable=True,
                                     retry_after=exc.retry_after) from exc
            except Unauthorized as exc:
                raise MessageRefused("Twilio refused Backbone's credentials (BACKBONE_TWILIO__ACCOUNT_SID and "
                                     "__AUTH_TOKEN): support must fix them, then replay.", retryable=True) from exc
            except ClientError as exc:
                code, message = _twilio_error(exc.body)
                raise MessageRefused(f"Twilio error {code}: {message}" if code else message, retryable=False,
                                     opted_out=code in TWILIO_OPTED_OUT) from exc
            except ApiError as exc:
                if _never_sent(exc):
                    raise MessageRefused("Twilio could not be reached.", retryable=True) from exc
                logger.warning("twilio.send.outcome_unknown code=%s", exc.code)
                raise MessageOutcomeUnknown(f"Twilio did not answer ({exc.code}).") from exc
        answer: dict[str, Any] = response.json() if response.content else {}
        sid = str(answer.get("sid") or "")
        if not sid:
            raise MessageOutcomeUnknown("Twilio answered without a message sid.")
        return MessageReceipt(provider="twilio", message_id=sid, status=str(answer.get("status") or "queued"))


def _twilio_error(body: Any) -> tuple[int | None, str]:
    if isinstance(body, dict):
        code = body.get("code")
        return (int(code) if isinstance(code, int | str) and str(code).isdigit() else None,
                str(body.get("message") or "Twilio refused the message."))
    return None, "Twilio refused the message."


class SmtpEmail:
    """Sends one plain-text email per call over SMTP (STARTTLS and AUTH when configured)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        cfg = self.settings
        domain = cfg.from_address.rpartition("@")[2] or None
        msg = EmailMessage()
        msg["From"] = cfg.from_address
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(body)
        return msg

    def send(self, to: str, subject: str, body: str) -> MessageReceipt:
        cfg = self.settings
        msg = self.message(to, subject, body)
        try:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        except (OSError, smtplib.SMTPException) as exc:
            raise MessageRefused(f"The mail server {cfg.host}:{cfg.port} could not be reached.",
                                 retryable=True) from exc
        try:
            self._prepare(smtp)
            self._deliver(smtp, msg)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        return MessageReceipt(provider="smtp", message_id=str(msg["Message-ID"]), status="accepted")

    def _prepare(self, smtp: smtplib.SMTP) -> None:
        cfg = self.settings
        try:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
        except (OSError, smtplib.SMTPException) as exc:
            # Nothing was handed over yet: safe to try again once the server (or its settings) is fixed.
            raise MessageRefused(f"The mail server refused the session: {exc}", retryable=True) from exc

    @staticmethod
    def _deliver(smtp: smtplib.SMTP, msg: EmailMessage) -> None:
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MessageRefused(f"The mail server refused the address {msg['To']}.", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            # A reply code to MAIL, RCPT or DATA: the server says it did not take the message.
            transient = 400 <= exc.smtp_code < 500
            raise MessageRefused(f"The mail server answered {exc.smtp_code}.", retryable=transient) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Dropped mid-conversation: the DATA may have been taken. Never send it again.
            logger.warning("smtp.send.outcome_unknown error=%s", type(exc).__name__)
            raise MessageOutcomeUnknown(f"The mail server did not confirm the email ({type(exc).__name__}).") from exc


class ConfiguredMessenger:
    """The Messenger of a deployment: Twilio and SMTP as the settings configure them."""

    def __init__(self, settings: Settings) -> None:
        self.twilio = TwilioSms(settings.twilio) if settings.twilio.configured else None
        self.smtp = SmtpEmail(settings.smtp) if settings.smtp.configured else None

    def can_send(self, channel: str) -> bool:
        return (self.twilio is not None) if channel == "sms" else (channel == "email" and self.smtp is not None)

    def send_sms(self, to: str, body: str) -> MessageReceipt:
        if self.twilio is None:
            raise MessageRefused("No SMS provider is configured.", retryable=False)
        return self.twilio.send(to, body)

    def send_email(self, to: str, subject: str, body: str) -> MessageReceipt:
        if self.smtp is None:
            raise MessageRefused("No email server is configured.", retryable=False)
        return self.smtp.send(to, subject, body)
