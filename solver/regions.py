"""Large days split into regions: groups of nearby technicians with the jobs they are best placed for.

One OR-Tools model over 2,000 jobs and 200 technicians spends its whole minute building the
first solution (every insertion is checked against every route, breaks and parts included).
Regions of about `REGION_JOBS` jobs solve in seconds each, and together give a feasible plan in
the time limit; the regions are independent (no technician or job in two), so their routes
simply merge.

The split:

- technicians are grouped around seeds picked farthest-first by travel time between the places
  their days start, each joining the nearest seed;
- each job goes to the region of the nearest technician who can serve it at all (skills, pins,
  parts, windows: `Analysis`), P1 first, then P2, then P3, skipping regions already holding their
  share of the jobs (in proportion to their technicians) when another region can serve it;
- done and in-progress jobs stay with their technician; jobs nobody can serve go with the first
  region (they come back unassigned, with their reasons).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from solver.models import JobStatus

if TYPE_CHECKING:
    from solver.models import Problem
    from solver.reasons import Analysis

DECOMPOSE_ABOVE = 600  # open jobs; below, one model solves well
REGION_JOBS = 150
SHARE_SLACK = 1.15  # a region may take this much more than its share before jobs spill over


def split(problem: Problem, analysis: Analysis, region_jobs: int = REGION_JOBS) -> list[tuple[list[int], list[int]]]:
    """Technician and job indices of each region.

    Args:
        problem: The problem.
        analysis: Its analysis (who can serve what, where each day starts).
        region_jobs: About how many open jobs a region should hold.

    Returns:
        (technician indices, job indices) per region; every technician and job in exactly one.
    """
    techs = len(problem.technicians)
    open_jobs = [i for i, j in enumerate(problem.jobs) if j.status == JobStatus.OPEN]
    k = max(1, min(techs, math.ceil(len(open_jobs) / region_jobs)))
    region_of_tech = _group(problem, analysis, k)
    members = [[v for v in range(techs) if region_of_tech[v] == r] for r in range(k)]
    share = [SHARE_SLACK * len(open_jobs) * len(m) / techs for m in members]
    jobs: list[list[int]] = [[] for _ in range(k)]
    index = {t.id: v for v, t in enumerate(problem.technicians)}
    durations = problem.matrix.durations
    starts = [day.location for day in analysis.days]
    for i in sorted(open_jobs, key=lambda i: (problem.jobs[i].priority, i)):
        job = problem.jobs[i]
        options = analysis.options[job.id]
        able = sorted(set(options.truck) | set(options.pickup), key=lambda v: (durations[starts[v]][job.location], v))
        if not able:
            jobs[0].append(i)
            continue
        nearest = [region_of_tech[v] for v in able]
        roomy = next((r for r in nearest if len(jobs[r]) < share[r]), nearest[0])
        jobs[roomy].append(i)
    for i, job in enumerate(problem.jobs):
        if job.status != JobStatus.OPEN:
            jobs[region_of_tech[index[job.technician_id or ""]]].append(i)
    return [(members[r], sorted(jobs[r])) for r in range(k) if members[r]]


def _group(problem: Problem, analysis: Analysis, k: int) -> list[int]:
    durations = problem.matrix.durations
    starts = [day.location for day in analysis.days]
    seeds = [0]
    nearest = [durations[starts[0]][starts[v]] for v in range(len(starts))]
    while len(seeds) < k:
        far = max(range(len(starts)), key=lambda v: (nearest[v], -v))
        seeds.append(far)
        nearest = [min(nearest[v], durations[starts[far]][starts[v]]) for v in range(len(starts))]
    return [min(range(k), key=lambda r: (durations[starts[seeds[r]]][starts[v]], r)) for v in range(len(starts))]
