"""Imported once by the worker pool's fork server, before it forks any worker.

It imports what a worker runs — the model and the sweep's store — and runs a tiny town
for two days, which loads every compiled kernel, and asks git for the commit once.
Workers are forked from this process, so each starts with all of it in memory instead
of importing and loading it itself.
(Not the command line: a worker runs none of it.)
"""

import simulation.sweep.executor
import simulation.sweep.store  # noqa: F401
from simulation.provenance import commit
from simulation.runner import run

run(None, seed=0, days=2, residents=200, warmup_days=0)
commit()  # asked once here, so no worker runs git
