"""Field-service route optimization on OR-Tools: plan, rank, insert, re-plan, check.

Pure: no Flask, no database, no tenants. Build a `Problem`, call `solve_routes(problem, params)`,
get a `RoutingResult`; `check(problem, result)` verifies any result independently.
"""

from solver._ortools import Progress as Progress
from solver.check import check as check
from solver.dispatch import Candidate as Candidate
from solver.dispatch import rank_technicians as rank_technicians
from solver.exceptions import InvalidProblem as InvalidProblem
from solver.exceptions import SolverError as SolverError
from solver.matrix import matrix_from_coordinates as matrix_from_coordinates
from solver.matrix import matrix_from_lists as matrix_from_lists
from solver.models import Break as Break
from solver.models import Depot as Depot
from solver.models import Job as Job
from solver.models import JobStatus as JobStatus
from solver.models import PartNeed as PartNeed
from solver.models import Priority as Priority
from solver.models import Problem as Problem
from solver.models import Route as Route
from solver.models import RoutingResult as RoutingResult
from solver.models import SolveStats as SolveStats
from solver.models import Stop as Stop
from solver.models import Technician as Technician
from solver.models import TimeWindow as TimeWindow
from solver.models import TravelMatrix as TravelMatrix
from solver.models import Unassigned as Unassigned
from solver.params import SolveParams as SolveParams
from solver.replan import Change as Change
from solver.replan import Replan as Replan
from solver.replan import Stability as Stability
from solver.replan import insert_emergency as insert_emergency
from solver.replan import reoptimize as reoptimize
from solver.routing import solve_routes as solve_routes
from solver.validate import validate as validate
