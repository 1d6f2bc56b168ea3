"""The error vocabulary of actions; the connector maps each to an HTTP answer."""

from __future__ import annotations


class ActionError(Exception):
    """Base of every error an action raises on purpose.

    Attributes:
        code: Stable machine-readable code.
        message: Product copy shown to the Zap or scenario builder.
        field: The input field at fault, if any.
        retryable: Whether running the same input again later may succeed.
    """

    code = "action_error"
    retryable = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InputError(ActionError):
    """The input is well-formed but cannot be acted on (answered 422)."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class NotFound(ActionError):
    """An id in the input names nothing this tenant owns (answered 404)."""

    code = "not_found"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class Conflict(ActionError):
    """The current state forbids the action (answered 409)."""

    code = "conflict"


class UpstreamUnavailable(ActionError):
    """A provider (FSM, accounting) is down or throttling; try again later (answered 503).

    Attributes:
        retry_after: Seconds the provider asked us to wait, if it said.
    """

    code = "upstream_unavailable"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
