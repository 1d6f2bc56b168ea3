"""Finding instance files and their best-known solutions (`bks.csv` next to the set folders)."""

from __future__ import annotations

import csv
import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# Gaps are only meaningful within one convention: trunc1 distances first, the classic tables otherwise.
CONVENTIONS = ("dimacs_trunc1", "hierarchical_real")


@dataclass(frozen=True)
class Bks:
    """A best-known solution: distance in the convention's units (trunc1 distances are /10 already)."""

    vehicles: int
    distance: float
    convention: str


def find(specs: Iterable[str], per_set: int | None = None) -> list[Path]:
    """The instance files named by `specs` (folders, globs or files), in natural order.

    Args:
        specs: Folders (every `*.txt` inside), glob patterns, or files.
        per_set: Keep only the first N instances of each set (folder).

    Returns:
        Unique paths, grouped by set in the order given.

    Raises:
        FileNotFoundError: A spec names no existing file, folder or glob match.
    """
    found: list[Path] = []
    for spec in specs:
        named = [Path(spec)] if Path(spec).exists() else sorted((Path(p) for p in glob.glob(spec)), key=_natural)
        if not named:
            raise FileNotFoundError(f"no instance file, folder or glob match: {spec}")
        for path in named:
            matches = sorted(path.glob("*.txt"), key=_natural) if path.is_dir() else [path]
            found.extend(p for p in matches if p not in found)
    if per_set is None:
        return found
    counts: dict[Path, int] = {}
    kept = []
    for p in found:
        counts[p.parent] = counts.get(p.parent, 0) + 1
        if counts[p.parent] <= per_set:
            kept.append(p)
    return kept


def _natural(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def set_name(path: Path) -> str:
    """The benchmark set of an instance file: its folder's name (solomon, homberger_200, ...)."""
    return path.parent.name


def load_bks(paths: Iterable[Path]) -> dict[str, Bks]:
    """The best BKS per instance (upper-cased name) from every `bks.csv` beside or above the files."""
    rows: list[dict[str, str]] = []
    for csv_path in sorted({c for p in paths for c in (p.parent / "bks.csv", p.parent.parent / "bks.csv")
                            if c.is_file()}):
        with csv_path.open(newline="") as f:
            rows.extend(csv.DictReader(f))
    best: dict[str, Bks] = {}
    for convention in reversed(CONVENTIONS):  # later (preferred) conventions overwrite earlier ones
        for row in rows:
            if row["convention"] == convention:
                best[row["instance"].upper()] = Bks(int(row["vehicles"]), float(row["distance"]), convention)
    return best
