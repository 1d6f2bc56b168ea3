"""The benchmark's rows and the summary maths: feasibility shares, geometric-mean ratios, gaps to BKS."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from bench.instances import Bks

OURS = "backbone"


@dataclass(frozen=True)
class Row:
    """One solve of one instance by one solver at one time limit (None: the solver stops by itself).

    `distance` is in trunc1 units (the integer total / 10), recomputed by the benchmark's verifier;
    `feasible` means complete and passed by every checker that ran (`checked_by`).
    """

    instance: str
    set: str
    solver: str
    time_limit: float | None
    feasible: bool
    vehicles: int
    distance: float | None
    wall_s: float
    checked_by: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Row:
        """A row read back from the JSON results."""
        return cls(**{**data, "checked_by": tuple(data.get("checked_by", ())), "errors": tuple(data.get("errors", ()))})


def merge_rows(runs: Iterable[Iterable[Row]]) -> list[Row]:
    """The rows of several runs, one per (instance, solver, time limit): a later run replaces an earlier one."""
    merged: dict[tuple[str, str, float | None], Row] = {}
    for run in runs:
        merged.update({(r.instance, r.solver, r.time_limit): r for r in run})
    return list(merged.values())


def geomean(values: Iterable[float]) -> float | None:
    """The geometric mean of positive values (None for none)."""
    logs = [math.log(v) for v in values]
    return math.exp(sum(logs) / len(logs)) if logs else None


def gap_pct(distance: float, bks: float) -> float:
    """The gap of `distance` above the best-known `bks`, in percent."""
    return 100.0 * (distance - bks) / bks


def peer_row(rows: Sequence[Row], instance: str, solver: str, limit: float | None) -> Row | None:
    """The peer's row for an instance at this limit, or its unlimited row (vroom stops by itself)."""
    found = [r for r in rows if r.instance == instance and r.solver == solver and r.time_limit in (limit, None)]
    return found[0] if found else None


def ratios(rows: Sequence[Row], peer: str, limit: float, ours_name: str = OURS
           ) -> dict[str, dict[str, float | int | None]]:
    """Geometric mean of ours/peer distance at `limit`, over instances both solved feasibly: all and by set."""
    pairs: dict[str, list[float]] = {}
    for ours in rows:
        if ours.solver != ours_name or ours.time_limit != limit or not ours.feasible or ours.distance is None:
            continue
        other = peer_row(rows, ours.instance, peer, limit)
        if other is None or not other.feasible or not other.distance:
            continue
        ratio = ours.distance / other.distance
        pairs.setdefault("all", []).append(ratio)
        pairs.setdefault(ours.set, []).append(ratio)
    return {key: {"geomean": geomean(vals), "n": len(vals)} for key, vals in sorted(pairs.items())}


def gaps(rows: Iterable[Row], bks: dict[str, Bks]) -> dict[str, dict[str, float | int | None]]:
    """Mean gap (percent) of feasible rows to the BKS, by set and BKS convention ("solomon/dimacs_trunc1")."""
    found: dict[str, list[float]] = {}
    for row in rows:
        best = bks.get(row.instance.upper())
        if best is None or not row.feasible or row.distance is None:
            continue
        found.setdefault(f"{row.set}/{best.convention}", []).append(gap_pct(row.distance, best.distance))
    return {key: {"mean_pct": sum(v) / len(v), "n": len(v)} for key, v in sorted(found.items())}


def feasible_share(rows: Sequence[Row]) -> float | None:
    """The share of rows whose solution is feasible (None for none)."""
    return sum(r.feasible for r in rows) / len(rows) if rows else None


def summarize(rows: Sequence[Row], bks: dict[str, Bks]) -> dict[str, object]:
    """Per time limit of ours: feasibility per solver, ours/peer geometric-mean ratios, gaps to BKS.

    With both peers, `ratio_pyvrp_to_vroom` shows how far apart the peers themselves are.
    """
    solvers = sorted({r.solver for r in rows})
    limits: Sequence[float | None] = sorted({r.time_limit for r in rows if r.time_limit is not None})
    out: dict[str, object] = {}
    for limit in limits or [None]:
        at = {s: [r for r in rows if r.solver == s and r.time_limit in (limit, None)] for s in solvers}
        block: dict[str, object] = {
            "feasible_share": {s: feasible_share(at[s]) for s in solvers},
            "ratio_ours_to": {s: ratios(rows, s, limit) for s in solvers
                              if s != OURS and OURS in solvers and limit is not None},
            "gap_to_bks": {s: gaps(at[s], bks) for s in solvers},
        }
        if {"pyvrp", "vroom"} <= set(solvers) and limit is not None:
            block["ratio_pyvrp_to_vroom"] = ratios(rows, "vroom", limit, "pyvrp")
        out["unlimited" if limit is None else f"{limit:g}"] = block
    return out
