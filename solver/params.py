"""Solve parameters, validated on construction (PyVRP's style)."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_SOLUTIONS = ("auto", "parallel_cheapest_insertion", "local_cheapest_insertion", "savings",
                   "path_cheapest_arc", "christofides")
METAHEURISTICS = ("guided_local_search", "simulated_annealing", "tabu_search", "generic_tabu_search", "greedy_descent",
                  "automatic")


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    Attributes:
        time_limit: Seconds of search (wall clock).
        solution_limit: Stop after this many solutions (with a seed: reproducible results).
        seed: Seed for anything random in the search.
        workers: Parallel searches (different strategies), the best kept; 1 is reproducible.
        first_solution: First-solution strategy ("auto" picks by problem shape).
        metaheuristic: Local-search metaheuristic.
        decompose: Split a day of more than 600 open jobs into regions of nearby technicians,
            solved one after another (one model that large spends the time limit on its first
            solution).
    """

    time_limit: float = 10.0
    solution_limit: int | None = None
    seed: int = 0
    workers: int = 1
    first_solution: str = "auto"
    metaheuristic: str = "guided_local_search"
    decompose: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.time_limit <= 3600:
            raise ValueError("time_limit must be in (0, 3600] seconds")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError("solution_limit must be at least 1")
        if not 1 <= self.workers <= 8:
            raise ValueError("workers must be 1 to 8")
        if self.first_solution not in FIRST_SOLUTIONS:
            raise ValueError(f"first_solution must be one of {', '.join(FIRST_SOLUTIONS)}")
        if self.metaheuristic not in METAHEURISTICS:
            raise ValueError(f"metaheuristic must be one of {', '.join(METAHEURISTICS)}")
