from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from bench import instances

if TYPE_CHECKING:
    from pathlib import Path


def test_find_folders_globs_and_a_per_set_limit(vrptw_dir: Path) -> None:
    solomon = instances.find([str(vrptw_dir / "solomon")])
    assert [p.name for p in solomon] == ["C101.txt", "C102.txt", "R101.txt", "RC101.txt"]
    assert solomon[0].name == "C101.txt"
    both = instances.find([str(vrptw_dir / "solomon"), str(vrptw_dir / "homberger_*")], per_set=2)
    assert [(p.parent.name, p.name) for p in both][:3] == [("solomon", "C101.txt"), ("solomon", "C102.txt"),
                                                           ("homberger_200", "c1_2_1.txt")]
    assert len(both) == 4
    globbed = instances.find([str(vrptw_dir / "homberger_200" / "c1_2_1*.txt")])
    assert [p.name for p in globbed] == ["c1_2_1.txt", "c1_2_10.txt"]  # natural order


def test_a_spec_that_matches_nothing_is_an_error(vrptw_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"r101\.txt"):
        instances.find([str(vrptw_dir / "solomon"), str(vrptw_dir / "solomon" / "r101.txt")])


def test_bks_prefers_the_trunc1_convention(vrptw_dir: Path) -> None:
    bks = instances.load_bks([vrptw_dir / "solomon" / "C101.txt", vrptw_dir / "homberger_200" / "c1_2_1.txt"])
    assert (bks["C101"].distance, bks["C101"].convention) == (827.3, "dimacs_trunc1")
    assert (bks["C1_2_1"].distance, bks["C1_2_1"].convention) == (2698.6, "dimacs_trunc1")
    assert bks["R1_2_1"].convention == "hierarchical_real"
