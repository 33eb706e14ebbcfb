"""Replicate runs in the background: worker processes shared fairly by every session.

A user asks for N seeds of the setting on screen (and of its comparison, on the same
seeds). The runs go to worker processes, not threads: the model's compiled kernels hold
Python's lock while they run, so a thread running them would stall the page. One server
has :data:`WORKERS` of them, one fewer than the machine's cores, leaving a core for the
server and its pages; a session asks for at most :data:`MAX_SEEDS` seeds at once, its
runs are handed out in turn with every other session's (round robin), and it can cancel
them. So a classroom on one two-core server stays usable: each student's request waits
its turn, and none can fill the queue for the others.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from simulation.dashboard.setting import Setting, served_area
from simulation.dashboard.stats import COMPARISON, POLICY, Replicates
from simulation.params import Params
from simulation.scenarios import load_scenario
from simulation.sweep.executor import POOL_CONTEXT, run_one

MAX_SEEDS = 20  # per request, per side: 40 runs of a year at most
SERVER_CHECK_SECONDS = 1.0  # how often a worker checks that its server is still there
WORKERS = max(1, (os.cpu_count() or 2) - 1)

Task = Callable[[Params, int, int], pd.DataFrame]


def params_of(setting: Setting, residents: int) -> Params:
    """The parameters a setting runs with, on a town of ``residents``."""
    scenario = load_scenario(setting.scenario, area=served_area())
    return Params.from_overrides({**setting.overrides, "residents": residents},
                                 base=scenario.params)


class Job:
    """One session's request: N seeds of its setting, and of the comparison if any.

    Args:
        setting: The setting on screen; the seeds start at its seed.
        residents: The town's size as the run on screen has it.
        seeds: How many seeds (1 to :data:`MAX_SEEDS`).

    Attributes:
        seeds: The seeds run, the setting's own first.
        error: Why the runs stopped, if they failed.
    """

    def __init__(self, setting: Setting, residents: int, seeds: int) -> None:
        if not 1 <= seeds <= MAX_SEEDS:
            raise ValueError(f"seeds: {seeds} (allowed: 1 to {MAX_SEEDS})")
        self.setting = setting
        self.seeds = tuple(range(setting.seed, setting.seed + seeds))
        sides = [(POLICY, params_of(setting, residents))]
        comparison = setting.comparison(residents)
        if comparison is not None:
            sides.append((COMPARISON, params_of(comparison, residents)))
        # Seed by seed, both sides together: the paired difference grows a pair at a time.
        self._todo = deque((side, seed, params) for seed in self.seeds
                           for side, params in sides)
        self.total = len(self._todo)
        self._results: dict[tuple[str, int], pd.DataFrame] = {}
        self._changed = threading.Condition()
        self.cancelled = False
        self.error: str | None = None

    @property
    def done(self) -> int:
        """Runs finished so far."""
        return len(self._results)

    @property
    def over(self) -> bool:
        """Whether nothing more will happen: every run done, cancelled, or failed."""
        return self.done == self.total or self.cancelled or self.error is not None

    def wait(self, timeout: float) -> None:
        """Block until a run finishes or the job ends, or ``timeout`` seconds pass."""
        with self._changed:
            if not self.over:
                self._changed.wait(timeout)

    def result(self) -> Replicates | None:
        """Every seed's runs, once all have finished."""
        if self.done < self.total or self.cancelled or self.error is not None:
            return None
        sides = dict.fromkeys(side for side, _ in self._results)
        return Replicates(seeds=self.seeds, days=self.setting.days,
                          runs={side: [self._results[side, seed] for seed in self.seeds]
                                for side in sides})

    def _next(self) -> tuple[str, int, Params] | None:
        return self._todo.popleft() if self._todo and not self.over else None

    def _record(self, side: str, seed: int, future: Future) -> None:
        with self._changed:
            if not self.cancelled and self.error is None:
                error = future.exception()
                if error is None:
                    self._results[side, seed] = future.result()
                elif isinstance(error, BrokenProcessPool):
                    self.error = "a worker process died (out of memory?); ask again"
                else:
                    self.error = f"seed {seed}, {side}: {error}"
            self._changed.notify_all()

    def _fail(self, why: str) -> None:
        with self._changed:
            self.error = why
            self._changed.notify_all()

    def _stop(self) -> None:
        with self._changed:
            self.cancelled = True
            self._changed.notify_all()


def processes(workers: int) -> Executor:
    """Worker processes forked from a server that has the model loaded (as sweeps use)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=POOL_CONTEXT,
                               initializer=_leave_with, initargs=(os.getpid(),))


def _leave_with(server: int) -> None:
    """In a worker: exit when the server has gone, however it went.

    A server stopped with Ctrl-C takes its workers with it; one killed outright cannot,
    and a worker waiting for runs (and the process that forked it) would wait for ever.
    """
    def watch() -> None:
        while True:
            time.sleep(SERVER_CHECK_SECONDS)
            try:
                os.kill(server, 0)  # signal 0: only asks whether the process is there
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="carecap-server-watch").start()


class Pool:
    """The server's worker processes and the queue of every session's runs.

    At most ``workers`` runs are handed to the processes at a time, taken from the jobs
    in turn, so a cancelled job leaves at most its runs already started behind.

    Args:
        workers: Worker processes.
        task: What a worker runs: ``task(params, seed, days)`` returns the daily table.
        executor: Makes the workers, given their number (worker processes by default).
    """

    def __init__(self, workers: int = WORKERS, task: Task = run_one,
                 executor: Callable[[int], Executor] = processes) -> None:
        self.workers = workers
        self._task = task
        self._make = executor
        self._executor: Executor | None = None
        self._jobs: deque[Job] = deque()
        self._running = 0
        self._lock = threading.Lock()

    def submit(self, job: Job) -> Job:
        """Queue a job's runs; returns the job."""
        with self._lock:
            self._jobs.appendleft(job)  # next in turn: the others have had theirs
            self._fill()
        return job

    def cancel(self, job: Job) -> None:
        """Drop a job's runs not yet started; runs already started finish unrecorded."""
        job._stop()
        with self._lock:
            if job in self._jobs:
                self._jobs.remove(job)

    def warm(self) -> None:
        """Start the worker processes and wait until they answer.

        Called before the server takes requests: workers starting later, as the first
        page loads, would take its two cores' time from it.
        """
        with self._lock:
            started = self._pool().submit(int)
        started.result()

    def _pool(self) -> Executor:
        if self._executor is None:
            self._executor = self._make(self.workers)
        return self._executor

    def _fill(self) -> None:
        """Hand runs to free workers, one job after another (called holding the lock)."""
        while self._running < self.workers and self._jobs:
            job = self._jobs.popleft()
            work = job._next()
            if work is None:
                continue  # finished handing out, or stopped
            self._jobs.append(job)  # its next run waits for every other job's
            side, seed, params = work
            try:
                future = self._pool().submit(self._task, params, seed, job.setting.days)
            except BrokenProcessPool:  # a worker died earlier: start afresh
                self._executor = None
                future = self._pool().submit(self._task, params, seed, job.setting.days)
            except RuntimeError:  # the server is shutting down: no more runs
                job._fail("the server is stopping")
                continue
            self._running += 1
            future.add_done_callback(
                lambda done, job=job, side=side, seed=seed: self._finished(job, side, seed,
                                                                           done))

    def _finished(self, job: Job, side: str, seed: int, future: Future) -> None:
        job._record(side, seed, future)
        with self._lock:
            self._running -= 1
            if isinstance(future.exception(), BrokenProcessPool):
                self._executor = None
            self._fill()


POOL = Pool()  # the server's: no model lives here, only the queue of sessions' runs
