"""How the benchmarks show their results: a table printed as rows arrive, an ETA, JSON on disk."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

from bench.summary import gap_pct

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from bench.instances import Bks
    from bench.summary import Row

HEADER = f"{'instance':<10} {'set':<14} {'solver':<9} {'limit':>6} {'ok':>3} {'veh':>4} {'distance':>10} " \
         f"{'gap%':>7} {'wall_s':>7}"


def format_row(row: Row, bks: Bks | None) -> str:
    """One table line; the gap is to the instance's preferred BKS (dimacs_trunc1, else the classic one)."""
    limit = "-" if row.time_limit is None else f"{row.time_limit:g}s"
    distance = "-" if row.distance is None else f"{row.distance:.1f}"
    gap = "-" if bks is None or row.distance is None else f"{gap_pct(row.distance, bks.distance):+.2f}"
    line = (f"{row.instance:<10} {row.set:<14} {row.solver:<9} {limit:>6} {'yes' if row.feasible else 'NO':>3} "
            f"{row.vehicles:>4} {distance:>10} {gap:>7} {row.wall_s:>7.2f}")
    return line if row.feasible else f"{line}  {row.errors[0] if row.errors else ''}"


class Progress:
    """Elapsed time and an ETA from the mean time per finished item."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.perf_counter()

    def step(self) -> str:
        """Count one finished item and describe where the run stands."""
        self.done += 1
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        return f"[{self.done}/{self.total}] elapsed {duration(elapsed)}, ETA {duration(eta)}"


def duration(seconds: float) -> str:
    """A short human duration: 45s, 7m12s, 1h03m."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def environment() -> dict[str, object]:
    """Where and with what the numbers were measured."""
    versions: dict[str, str | None] = {}
    for dist in ("ortools", "pyvroom", "pyvrp"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"created": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "versions": versions}


def write_json(path: Path, meta: Mapping[str, object], rows: list[Row] | list[dict[str, object]],
               summary: Mapping[str, object]) -> None:
    """Write the run (rewritten after every instance, so an interrupted run keeps what it measured)."""
    payload = {"meta": meta, "rows": [r if isinstance(r, dict) else asdict(r) for r in rows], "summary": summary}
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def format_summary(summary: Mapping[str, object]) -> list[str]:
    """The summary as readable lines, one block per time limit."""
    lines = []
    for limit, block in summary.items():
        assert isinstance(block, dict)  # noqa: S101 -- summarize() builds dicts; narrows for mypy
        lines.append(f"== time limit {limit}{'' if limit == 'unlimited' else ' s'}")
        shares = ", ".join(f"{s} {_pct(v)}" for s, v in block["feasible_share"].items())
        lines.append(f"  feasible: {shares}")
        for peer, by_set in block["ratio_ours_to"].items():
            parts = ", ".join(f"{k} {v['geomean']:.4f} (n={v['n']})" for k, v in by_set.items())
            lines.append(f"  ours/{peer} geometric mean: {parts or 'no common feasible instance'}")
        if "ratio_pyvrp_to_vroom" in block:
            parts = ", ".join(f"{k} {v['geomean']:.4f}" for k, v in block["ratio_pyvrp_to_vroom"].items())
            lines.append(f"  (reference) pyvrp/vroom geometric mean: {parts or '-'}")
        for solver, by_set in block["gap_to_bks"].items():
            parts = ", ".join(f"{k} {v['mean_pct']:+.2f}% (n={v['n']})" for k, v in by_set.items())
            lines.append(f"  {solver} mean gap to BKS: {parts or '-'}")
    return lines


def _pct(value: object) -> str:
    return "-" if not isinstance(value, float) else f"{100 * value:.0f}%"


def format_field_day(result: Mapping[str, object]) -> list[str]:
    """The field-day report as readable lines."""
    lines = [f"Day: {result['technicians']} technicians, {result['jobs']} jobs, {result['p1_jobs']} P1 "
             f"({result['serviceable_p1']} serviceable); {result['locations']} locations; matrix: {result['matrix']}"]
    plan = result["plan"]
    assert isinstance(plan, dict)  # noqa: S101 -- built by field_run.run; narrows for mypy
    served = ", ".join(f"{p} {v['served']}/{v['total']}" for p, v in plan["served_by_priority"].items())
    p1 = plan["serviceable_p1"]
    lines += [
        f"Plan: {plan['wall_s']} s, feasible={plan['feasible']} ({plan['status']}), check: {plan['check']}",
        f"  served: {served}; serviceable P1 served {p1['served']}/{p1['total']}",
        f"  technicians used {plan['technicians_used']}, drive {plan['drive_time_h']} h, "
        f"{plan['distance_km']} km, overtime {plan['overtime_min']} min",
        f"  unassigned (first reason): {plan['unassigned_reasons'] or 'none'}",
    ]
    rank = result["rank_technicians"]
    assert isinstance(rank, dict)  # noqa: S101 -- as above
    lines.append(f"rank_technicians over {rank['jobs']} new jobs against {rank['against']}: "
                 f"p50 {rank['p50_ms']} ms, p95 {rank['p95_ms']} ms, max {rank['max_ms']} ms; "
                 f"{rank['with_a_feasible_technician']} with a feasible technician")
    return lines
