"""The whole stack (Postgres, Redis, the three simulators, trader, recorder, gateway) in one
state dir, started healthy part by part and stopped cleanly: see stack.runner."""

from stack.procs import Proc, StackError
from stack.runner import FinalState, Stack, StackOptions, StopReport

__all__ = ["FinalState", "Proc", "Stack", "StackError", "StackOptions", "StopReport"]
