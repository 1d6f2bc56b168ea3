"""Logging set-up for the app and the worker: context fields and secret redaction."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connector.config import Settings

#: Context fields every record carries; set by the request and job wrappers.
CONTEXT_FIELDS = ("tenant_id", "request_id", "run_id", "job_id")
_context: dict[str, contextvars.ContextVar[str]] = {
    name: contextvars.ContextVar(name, default="-") for name in CONTEXT_FIELDS
}

#: Credentials after an auth scheme ("Bearer x") are masked, then values after these words.
SCHEME_PATTERN = re.compile(r"(?i)\b(bearer|basic)\s+([^\s\"',&]+)")
REDACT_PATTERN = re.compile(
    r"(?i)(access_token|refresh_token|client_secret|password|secret|signature|code_verifier|"
    r"webhook-signature|authorization)([\"']?\s*[:=]\s*[\"']?)([^\s\"',&]+)"
)


def bind(**values: str | None) -> None:
    """Sets context fields for the current request or job."""
    for name, value in values.items():
        if name in _context:
            _context[name].set(value or "-")


def redact(message: str) -> str:
    """Masks anything that looks like a credential in a log message."""
    message = SCHEME_PATTERN.sub(lambda m: f"{m.group(1)} [redacted]", message)
    return REDACT_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", message)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _context.items():
            setattr(record, name, var.get())
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            entry[name] = getattr(record, name, "-")
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    """Installs one handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_backbone", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._backbone = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(tenant_id)s %(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
