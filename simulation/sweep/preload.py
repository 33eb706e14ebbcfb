"""Imported once by the worker pool's fork server, before it forks any worker.

It imports the model and runs a tiny town for two days, which loads every compiled
kernel; workers are forked from this process, so each starts with the kernels in memory
instead of loading them itself.
"""

from simulation.runner import run

run(None, seed=0, days=2, residents=200, warmup_days=0)
