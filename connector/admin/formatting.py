"""Template filters of the admin page: pretty JSON, durations, excerpts."""

from __future__ import annotations

import json
from typing import Any

EXCERPT_LENGTH = 90


def pretty_json(value: Any) -> str:
    """JSON for a human: indented, keys sorted, non-ASCII kept readable."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def duration(ms: int | float | None) -> str:
    """A duration in milliseconds as "850 ms", "2.4 s" or "3 min 5 s"."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{int(ms)} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The first `length` characters of a one-line version of `text`, with an ellipsis if cut."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def error_summary(error: dict[str, Any] | None, length: int = EXCERPT_LENGTH) -> str:
    """The "code: message" of a run's error JSON, shortened for a table cell."""
    if not error:
        return ""
    code = error.get("code") or "error"
    return excerpt(f"{code}: {error.get('message') or ''}".rstrip(": "), length)
