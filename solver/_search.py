"""Which searches to run, and running several at once in separate processes (the best one wins).

OR-Tools routing is single-threaded; with `workers > 1` the first search runs in this process and
the others in forked children, each with a different strategy, each building its own model from the
picklable `Spec`. A child that dies (even by an OR-Tools abort) only loses its own answer. With
count limits (`solution_limit`) and a seed every search is deterministic, and so is the pick (lowest
objective, then lowest worker number).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import TYPE_CHECKING

from solver import _ortools
from solver._ortools import SearchConfig

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

    from solver._model import Spec
    from solver._ortools import Progress, RawSolution
    from solver.params import SolveParams

logger = logging.getLogger(__name__)

CHILD_GRACE_SECONDS = 30.0  # model building in a child on a big problem, on top of its time limit
LARGE_MODEL_NODES = 1000  # above this, global cheapest insertion gets slow: start local

# Raw OR-Tools knobs measured on the Solomon / Gehring-Homberger sets (see README benchmark section).
TUNED = ""
# With parts pickups, a job switches between its truck and pickup alternatives only by swapping a
# pickup-delivery pair for a single node: an operator OR-Tools leaves off by default.
PAIRS = "local_search_operators { use_node_pair_swap_active: BOOL_TRUE }"

# Alternatives tried by the extra workers, in order (first solution, metaheuristic, overrides).
ALTERNATIVES: tuple[tuple[str, str, str], ...] = (
    ("local_cheapest_insertion", "guided_local_search", TUNED),
    ("savings", "guided_local_search", TUNED),
    ("parallel_cheapest_insertion", "simulated_annealing", ""),
    ("local_cheapest_insertion", "tabu_search", ""),
    ("path_cheapest_arc", "guided_local_search", TUNED),
    ("sequential_cheapest_insertion", "guided_local_search", TUNED),
    ("christofides", "guided_local_search", TUNED),
)


def search_configs(params: SolveParams, spec: Spec, time_limit: float) -> list[SearchConfig]:
    """One search configuration per worker: the requested one first, then distinct alternatives.

    Args:
        params: The caller's parameters.
        spec: The model (its size picks the "auto" first solution).
        time_limit: Seconds each search may take.

    Returns:
        `params.workers` configurations.
    """
    first = params.first_solution
    if first == "auto":
        first = "local_cheapest_insertion" if len(spec.nodes) > LARGE_MODEL_NODES else "parallel_cheapest_insertion"
    tuned = TUNED if params.metaheuristic == "guided_local_search" else ""
    chosen = [(first, params.metaheuristic, tuned)]
    for alternative in ALTERNATIVES:
        if len(chosen) >= params.workers:
            break
        if alternative[:2] != chosen[0][:2]:
            chosen.append(alternative)
    pairs = PAIRS if spec.pairs else ""
    return [SearchConfig(first_solution=f, metaheuristic=m, time_limit=time_limit, solution_limit=params.solution_limit,
                         seed=params.seed + k, overrides=" ".join(filter(None, (o, pairs))))
            for k, (f, m, o) in enumerate(chosen)]


def _child(spec: Spec, config: SearchConfig, conn: Connection) -> None:
    try:
        conn.send(_ortools.solve(spec, config))
    except Exception:  # a child must answer something; the parent logs the loss
        logger.exception("solver.search.worker_failed", extra={"config": config.label})
        conn.send(None)
    finally:
        conn.close()


def _can_fork() -> bool:
    return os.name == "posix" and not multiprocessing.current_process().daemon


def run(spec: Spec, configs: list[SearchConfig], on_progress: Callable[[Progress], None] | None = None
        ) -> RawSolution | None:
    """Run every search (the first here, the others in child processes) and keep the best.

    Args:
        spec: The model.
        configs: One per worker.
        on_progress: Progress of the first search (the one in this process).

    Returns:
        The solution with the lowest objective (ties: the lowest worker), or None if none found one.
    """
    if len(configs) > 1 and not _can_fork():
        logger.info("solver.search.single_worker", extra={"reason": "cannot fork here"})
        configs = configs[:1]
    context = multiprocessing.get_context("fork")
    children = []
    for config in configs[1:]:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(spec, config, sender), daemon=True)
        process.start()
        sender.close()
        children.append((process, receiver))
    results: list[RawSolution | None] = [_ortools.solve(spec, configs[0], on_progress)]
    for (process, receiver), config in zip(children, configs[1:], strict=True):
        results.append(_collect(process, receiver, config))
    found = [(r.objective, k, r) for k, r in enumerate(results) if r is not None]
    if not found:
        return None
    return min(found, key=lambda item: (item[0], item[1]))[2]


def _collect(process: multiprocessing.process.BaseProcess, receiver: Connection, config: SearchConfig
             ) -> RawSolution | None:
    result: RawSolution | None = None
    try:
        if receiver.poll(config.time_limit + CHILD_GRACE_SECONDS):
            result = receiver.recv()
        else:
            logger.warning("solver.search.worker_timeout", extra={"config": config.label})
    except EOFError:
        logger.warning("solver.search.worker_died", extra={"config": config.label, "exitcode": process.exitcode})
    finally:
        receiver.close()
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join()
    return result
