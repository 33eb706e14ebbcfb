"""Imported once by the worker pool's fork server, before it forks any worker.

It imports everything a worker runs — the model, the sweep's store, and the command
line, which a worker runs again as its main module when a sweep was started by the
``carecap`` command — and runs a tiny town for two days, which loads every compiled
kernel. Workers are forked from this process, so each starts with all of it in memory
instead of importing and loading it itself.
"""

import simulation.cli
import simulation.sweep.executor
import simulation.sweep.store  # noqa: F401
from simulation.runner import run

run(None, seed=0, days=2, residents=200, warmup_days=0)
