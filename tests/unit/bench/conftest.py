from __future__ import annotations

from pathlib import Path

import pytest

from bench import solomon

# A few instances copied from ../shared/benchmarks/vrptw (see its README): the tests run wherever the repo is.
VRPTW = Path(__file__).resolve().parents[2] / "data" / "vrptw"


@pytest.fixture(scope="session")
def vrptw_dir() -> Path:
    if not (VRPTW / "solomon" / "R101.txt").is_file():
        pytest.fail(f"benchmark data not found at {VRPTW}")
    return VRPTW


@pytest.fixture(scope="session")
def r101(vrptw_dir: Path) -> solomon.Instance:
    return solomon.read(vrptw_dir / "solomon" / "R101.txt")


@pytest.fixture(scope="session")
def c101_10(vrptw_dir: Path) -> solomon.Instance:
    """The first 10 customers of C101: a tiny instance every solver handles in well under a second."""
    return solomon.head(solomon.read(vrptw_dir / "solomon" / "C101.txt"), 10)


@pytest.fixture
def c101_10_file(vrptw_dir: Path, tmp_path: Path) -> Path:
    """C101 cut to its first 10 customers, as a Solomon file in a folder of its own."""
    lines = (vrptw_dir / "solomon" / "C101.txt").read_text().splitlines()
    depot = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["0"])
    folder = tmp_path / "tiny"
    folder.mkdir()
    path = folder / "C101.txt"
    path.write_text("\n".join(lines[: depot + 11]) + "\n")
    return path
