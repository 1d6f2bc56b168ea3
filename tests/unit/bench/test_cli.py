from __future__ import annotations

import json
from typing import TYPE_CHECKING

from click.testing import CliRunner

from bench.cli import bench
from connector.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def test_bench_is_a_backbone_command() -> None:
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    assert "vrptw" in result.output
    assert "field-day" in result.output


def test_vrptw_writes_rows_and_a_summary(c101_10_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    args = ["vrptw", "--instances", str(c101_10_file.parent), "--no-ours", "--peers", "vroom", "--out", str(out)]
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 0, result.output
    assert "C101" in result.output
    assert "[1/1]" in result.output
    payload = json.loads(out.read_text())
    (row,) = payload["rows"]
    assert (row["instance"], row["solver"], row["feasible"], row["time_limit"]) == ("C101", "vroom", True, None)
    assert payload["summary"]["unlimited"]["feasible_share"] == {"vroom": 1.0}
    assert payload["meta"]["vroom"] == {"exploration_level": 5, "threads": 1}


def test_vrptw_rejects_an_unknown_peer(c101_10_file: Path, tmp_path: Path) -> None:
    args = ["vrptw", "--instances", str(c101_10_file), "--peers", "gurobi", "--out", str(tmp_path / "x.json")]
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 2
    assert "unknown peers: gurobi" in result.output


def test_field_day_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "day.json"
    args = ["field-day", "--techs", "4", "--jobs", "25", "--probes", "5", "--time-limit", "1", "--out", str(out)]
    result = CliRunner().invoke(bench, args)
    assert result.exit_code == 0, result.output
    assert "rank_technicians" in result.output
    payload = json.loads(out.read_text())
    assert payload["meta"]["config"]["jobs"] == 25
    assert payload["result"]["jobs"] == 25


def test_summary_merges_runs(c101_10_file: Path, tmp_path: Path) -> None:
    first, merged = tmp_path / "a.json", tmp_path / "merged.json"
    args = ["vrptw", "--instances", str(c101_10_file), "--no-ours", "--peers", "vroom", "--out", str(first)]
    assert CliRunner().invoke(bench, args).exit_code == 0
    result = CliRunner().invoke(bench, ["summary", str(first), str(first), "--out", str(merged)])
    assert result.exit_code == 0, result.output
    assert "feasible: vroom 100%" in result.output
    assert len(json.loads(merged.read_text())["rows"]) == 1
