"""The solver's errors."""

from __future__ import annotations


class InvalidProblem(ValueError):
    """The problem cannot be solved as given; `errors` lists every reason, each naming its path.

    Raised before OR-Tools sees anything: OR-Tools aborts the whole process on bad input.
    """

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class SolverError(RuntimeError):
    """OR-Tools failed in a way that is not the caller's fault."""
