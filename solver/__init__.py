"""Field-service route optimization on OR-Tools: plan, rank, insert, re-plan, check.

Pure: no Flask, no database, no tenants. Build a `Problem`, call `solve_routes(problem, params)`,
get a `RoutingResult`; `check(problem, result)` verifies any result independently.
"""
