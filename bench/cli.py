"""`backbone bench ...`: the VRPTW benchmark against the peers and the synthetic field-service day."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import click

from bench import instances, report
from bench.summary import summarize


@click.group()
def bench() -> None:
    """Benchmarks: Backbone's solver against pyvroom and PyVRP, and a synthetic field-service day."""


@bench.command()
@click.option("--instances", "specs", multiple=True, required=True,
              help="Instance folder, glob or file (repeatable); bks.csv is read from beside or above them.")
@click.option("--time-limit", "time_limits", type=float, multiple=True, default=(5.0,), show_default=True,
              help="Seconds per solve for Backbone and PyVRP (repeatable).")
@click.option("--peers", default="vroom,pyvrp", show_default=True, help="Comma-separated peers, or 'none'.")
@click.option("--ours/--no-ours", default=True, show_default=True, help="Run Backbone's solver.")
@click.option("--limit", type=int, default=None, help="Only the first N instances of each set.")
@click.option("--workers", type=int, default=2, show_default=True, help="Backbone's parallel searches.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for Backbone and PyVRP.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON results file.")
def vrptw(specs: tuple[str, ...], time_limits: tuple[float, ...], peers: str, ours: bool, limit: int | None,
          workers: int, seed: int, out: Path) -> None:
    """Solve Solomon-format VRPTW instances with Backbone and the peers; check and compare."""
    from bench import peers as peer_solvers
    from bench import vrptw as run
    from bench.summary import Row

    chosen = tuple(p.strip() for p in peers.split(",") if p.strip() and p.strip() != "none")
    try:
        config = run.Config(time_limits=time_limits, peers=chosen, ours=ours, workers=workers, seed=seed)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    try:
        paths = instances.find(specs, per_set=limit)
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint="--instances") from exc
    if not paths:
        raise click.BadParameter(f"no instance files in {', '.join(specs)}", param_hint="--instances")
    bks = instances.load_bks(paths)
    meta = {**report.environment(), "instances": [str(p) for p in paths], "time_limits": list(time_limits),
            "peers": list(chosen), "workers": workers, "seed": seed,
            "vroom": {"exploration_level": peer_solvers.VROOM_EXPLORATION, "threads": peer_solvers.VROOM_THREADS}}
    click.echo(f"{len(paths)} instances x limits {', '.join(f'{t:g}s' for t in time_limits)}; writing {out}")
    click.echo(report.HEADER)
    rows: list[Row] = []
    progress = report.Progress(len(paths))
    for path in paths:
        case = run.Case.load(path)
        rows += run.solve_case(case, config, lambda r: click.echo(report.format_row(r, bks.get(r.instance.upper()))))
        report.write_json(out, meta, rows, summarize(rows, bks))
        click.echo(progress.step())
    click.echo("\n".join(report.format_summary(summarize(rows, bks))))


@bench.command(name="field-day")
@click.option("--techs", type=int, default=200, show_default=True, help="Technicians.")
@click.option("--jobs", type=int, default=2000, show_default=True, help="Jobs to plan.")
@click.option("--probes", type=int, default=1000, show_default=True, help="New jobs to rank technicians for.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated day and the solve.")
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="Seconds for the plan.")
@click.option("--workers", type=int, default=2, show_default=True, help="Backbone's parallel searches.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON results file.")
def field_day(techs: int, jobs: int, probes: int, seed: int, time_limit: float, workers: int, out: Path) -> None:
    """Plan a reproducible synthetic field-service day; report plan quality and dispatch latency."""
    from bench import field_day as synthetic
    from bench import field_run

    config = synthetic.DayConfig(techs=techs, jobs=jobs, seed=seed, probes=probes)
    started = time.perf_counter()
    day = synthetic.generate(config)
    click.echo(f"Generated {techs} technicians, {jobs} jobs, {probes} new jobs (seed {seed}); "
               f"solving for up to {time_limit:g} s ...")
    result = field_run.run(day, time_limit=time_limit, seed=seed, workers=workers)
    result["total_wall_s"] = round(time.perf_counter() - started, 1)
    meta = {**report.environment(), "config": dataclasses.asdict(config), "time_limit": time_limit,
            "workers": workers}
    payload = {"meta": meta, "result": result}
    out.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    click.echo("\n".join(report.format_field_day(result)))
    click.echo(f"Written to {out}")


@bench.command(name="summary")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the merged rows and summary here.")
def summary_(files: tuple[Path, ...], out: Path | None) -> None:
    """Merge the rows of several `bench vrptw` results (e.g. one run per set) and summarize them.

    A solve found in several files (same instance, solver and limit) counts once: the last file wins.
    """
    from bench.summary import Row, merge_rows

    runs: list[list[Row]] = []
    paths: list[Path] = []
    for file in files:
        payload = json.loads(file.read_text())
        runs.append([Row.from_dict(r) for r in payload["rows"]])
        paths += [Path(p) for p in payload["meta"].get("instances", [])]
    rows = merge_rows(runs)
    merged = summarize(rows, instances.load_bks(paths))
    click.echo("\n".join(report.format_summary(merged)))
    if out is not None:
        report.write_json(out, {"merged_from": [str(f) for f in files]}, rows, merged)


@bench.command()
@click.option("--requests", "count", type=int, default=500, show_default=True, help="Deliveries per path.")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Deliveries in flight at once.")
@click.option("--database-url", default=None, help="A database to use (default: SQLite in a temporary folder).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="JSON results file.")
def webhooks(count: int, concurrency: int, database_url: str | None, out: Path) -> None:
    """Webhook acceptance latency (Jobber allows 1 s): thin Jobber deliveries vs fat sandbox ones."""
    from bench import webhooks as run

    rows = [r.row() for r in run.run(requests_per_path=count, concurrency=concurrency, database_url=database_url)]
    out.write_text(json.dumps(rows, indent=2) + "\n")
    for r in rows:
        click.echo(f"{r['path']:>8}: {r['requests']} requests, {r['concurrency']} at once, p50 {r['p50_ms']} ms, "
                   f"p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms (= {r['p99_share_of_jobber_limit']:.1%} of Jobber's "
                   f"1 s), max {r['max_ms']} ms, answers {r['statuses']}")
