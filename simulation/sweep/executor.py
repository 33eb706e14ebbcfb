"""Run a sweep's pending runs, surviving errors and dead workers, locally or on Dask.

Locally (the default) runs go to a pool of worker processes, started once per command
and reused by every batch. Each worker writes the run it finished to the sweep folder
itself (the same code, so the same bytes, as a Dask result written here), so this
process only hands out runs. A run that raises is recorded with its error and the sweep
goes on. A worker that dies (killed, out of memory) breaks the pool: the pool is rebuilt
and the unfinished runs retried; if it breaks again, runs go one at a time until the run
that kills its worker is found, retried once more, then recorded as failed.

Workers fork from a server that has the model imported and its compiled kernels loaded
(``sweep/preload.py``): fast to start, and safe (forking this process itself, which has
Arrow's threads, can deadlock). Workers never run the caller's main module again (see
:class:`WorkerProcess`), so a plain script may start a sweep without an
``if __name__ == "__main__":`` guard. :func:`start_server` starts it early, so that it loads
the model while this process reads the experiment. Each worker watches this process and
exits the moment it is gone, however it ended (``kill -9`` included); the fork server and
the resource tracker then see their last client go and exit too, so nothing is left
running, or holding the terminal's output open.

With a scheduler address the same runs go to a Dask distributed cluster, whose
scheduler retries a task whose worker died (``distributed.scheduler.allowed-failures``)
before reporting it failed; it also blames the tasks queued behind it, so set
``distributed.scheduler.worker-saturation: 1.0`` on the scheduler to queue none (we retry
a blamed run once more anyway). A cluster on SLURM or PBS comes from dask-jobqueue: start a
``SLURMCluster`` or ``PBSCluster``, scale it, and pass its ``scheduler_address``. Dask's
workers may not share this machine's disk, so their results come back here to be written.

This module imports nothing heavy at the top: the command line imports it to start the
fork server before it pays for importing the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import socket
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from multiprocessing.popen_forkserver import Popen

    import pandas as pd

    from simulation.params import Params
    from simulation.sweep.experiment import Arm, Experiment, Run
    from simulation.sweep.store import SweepStore

    Task = Callable[[Params, int, int], pd.DataFrame]
    Progress = Callable[[Run, bool], None]

KILLS_BEFORE_FAILED = 2
PARENT_POLL_SECONDS = 0.5  # where a process cannot be waited on directly (no pidfd)


class ClusterLostError(RuntimeError):
    """The Dask scheduler went away mid-sweep; unfinished runs stay pending."""


class WorkerProcess(ForkServerProcess):
    """A worker forked from the fork server that does not run the caller's main module.

    multiprocessing starts a fork-server (or spawned) process by running the parent's
    main module again, as ``__mp_main__``, so that functions defined there can be
    unpickled in it. A script that calls :func:`simulation.run_sweep` outside an
    ``if __name__ == "__main__":`` guard would then start a whole sweep inside each
    worker as it starts, and the worker would die. Our workers run only functions of
    simulation's own modules, imported by name, so they are started as if the caller
    had no main module: a function defined in the caller's script cannot be their task.
    """

    @staticmethod
    def _Popen(process_obj: ForkServerProcess) -> Popen:  # noqa: N802 - the name it calls
        with _no_main_module():
            return ForkServerProcess._Popen(process_obj)


@contextlib.contextmanager
def _no_main_module() -> Iterator[None]:
    """While a worker starts, a bare ``__main__`` stands in for the caller's.

    multiprocessing reads ``sys.modules["__main__"]`` (its ``__spec__`` and ``__file__``)
    only to tell the new process which main module to run; a bare module has neither,
    so it runs none. The real one is back as soon as the process has been handed over
    (a few milliseconds, in the thread that submits the runs).
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class _WorkerContext(ForkServerContext):
    """The fork-server start method, with :class:`WorkerProcess` as its processes."""

    Process = WorkerProcess


POOL_CONTEXT = _WorkerContext()
POOL_CONTEXT.set_forkserver_preload(["simulation.sweep.preload"])


def run_one(params: Params, seed: int, days: int) -> pd.DataFrame:
    """One run's daily metrics (the function the workers call)."""
    from simulation.runner import run  # loaded in the workers before they fork

    return run(None, params=params, seed=seed, days=days).daily


def start_server() -> None:
    """Start the workers' fork server now; it loads the model while this process works."""
    from multiprocessing import forkserver

    forkserver.ensure_running()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of forked workers that exit as soon as this process is gone."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=POOL_CONTEXT,
                               initializer=_exit_with, initargs=(os.getpid(),))


def _exit_with(pid: int) -> None:
    """In a worker: exit at once when process ``pid`` (the sweep) ends.

    A worker's parent is the fork server, not the sweep, and a worker blocked on its
    queue never learns the sweep died; so a thread waits on the sweep itself.
    """
    threading.Thread(target=_wait_then_exit, args=(pid,), daemon=True,
                     name="carecap-exit-with-sweep").start()


def _wait_then_exit(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)  # Linux: readable once the process has ended
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(PARENT_POLL_SECONDS)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process has the number now: ours is gone
        return False
    return True


def run_and_save(task: Task, params: Params, run: Run, arm: Arm, experiment: str, days: int,
                 folder: Path, area: str | None = None) -> float:
    """In a worker: run ``task`` and write its result, with its provenance, to the folder.

    Returns:
        When the run started (seconds since the epoch).
    """
    from simulation.sweep.store import SweepStore, run_record

    started = time.time()
    daily = task(params, run.seed, days)
    SweepStore(folder).save(run, daily, run_record(experiment, run, arm, params, days, area))
    return started


def _described(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).strip()


class LocalPool:
    """Worker processes on this machine, started on first use and kept for every batch.

    Args:
        workers: Worker processes.
        task: What a worker runs (the model, or a stand-in in tests).
    """

    def __init__(self, workers: int, task: Task = run_one) -> None:
        self.workers = workers
        self.task = task
        self.first_started: float | None = None  # when the first run began
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard()

    def _sized(self, size: int) -> ProcessPoolExecutor:
        if self._pool is None or self._size != size:
            self._discard()
            self._pool, self._size = worker_pool(size), size
        return self._pool

    def _discard(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, experiment: Experiment, store: SweepStore,
            progress: Progress | None = None) -> None:
        """Run every planned run of ``experiment`` not yet finished in ``store``.

        Raises:
            StoreError: A worker could not write to the folder (the sweep stops).
        """
        from simulation.sweep.store import StoreError

        finished = store.finished()
        pending = [r for r in experiment.runs() if r.run_id not in finished]
        params = [experiment.params(arm) for arm in range(len(experiment.arms))]  # once
        kills: dict[str, int] = {}
        size = self.workers
        while pending:
            pool = self._sized(size)
            futures = {pool.submit(run_and_save, self.task, params[r.arm], r,
                                   experiment.arms[r.arm], experiment.name, experiment.days,
                                   store.folder, experiment.area): r for r in pending}
            broken = False
            for future in as_completed(futures):
                run = futures[future]
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken = True
                    continue
                if isinstance(error, StoreError):
                    raise error
                if error is None:
                    started = future.result()
                    self.first_started = min(self.first_started or started, started)
                else:
                    store.save_failure(run, _described(error))
                pending.remove(run)
                if progress is not None:
                    progress(run, error is None)
            if not broken:
                break
            self._discard()
            if size > 1:
                size = 1  # one at a time: the next break names the run that caused it
                continue
            culprit = pending[0]  # a one-worker pool runs in order: the first unfinished died
            kills[culprit.run_id] = kills.get(culprit.run_id, 0) + 1
            if kills[culprit.run_id] >= KILLS_BEFORE_FAILED:
                store.save_failure(culprit,
                                   f"its worker process died {KILLS_BEFORE_FAILED} times")
                pending.remove(culprit)
                if progress is not None:
                    progress(culprit, False)
                size = self.workers


SCHEDULER_ANSWER_SECONDS = 10.0  # a scheduler across a network answers well inside this


class DaskPool:
    """A Dask distributed cluster, connected to once for every batch.

    Args:
        address: The scheduler's address (``tcp://host:port``).
        task: What a worker runs.
        timeout: Seconds to wait for the scheduler to answer (``None``:
            :data:`SCHEDULER_ANSWER_SECONDS`).

    Raises:
        OSError: No Dask scheduler answered at ``address``.
    """

    def __init__(self, address: str, task: Task = run_one,
                 timeout: float | None = None) -> None:
        from distributed import Client

        timeout = SCHEDULER_ANSWER_SECONDS if timeout is None else timeout
        self.task = task
        self.address = address
        self.first_started: float | None = None  # not known: its workers' clocks are theirs
        parts = urlsplit(address)
        try:
            # Dask retries a refused connection until its timeout: ask once, quickly; and
            # it waits without end for a greeting from a server that is not Dask's.
            if parts.hostname and parts.port:
                socket.create_connection((parts.hostname, parts.port), timeout=timeout).close()
            with ThreadPoolExecutor(1) as thread:  # its own event loop, whoever calls
                thread.submit(asyncio.run, _greeted(address, timeout)).result()
            self.client = Client(address, timeout=f"{timeout}s")
        except TimeoutError:
            raise OSError(f"no answer within {timeout:g} s") from None
        except (OSError, ValueError) as error:  # ValueError: an address Dask cannot read
            raise OSError(str(error).splitlines()[0]) from None

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def run(self, experiment: Experiment, store: SweepStore,
            progress: Progress | None = None) -> None:
        """Run the pending runs on the cluster, writing each result as it arrives.

        Dask blames every task queued on a worker that died, not only the one running, so
        an innocent run can come back as ``KilledWorker``: it is resubmitted under a fresh
        key, up to ``KILLS_BEFORE_FAILED`` attempts, before it is recorded as failed.
        """
        from distributed import as_completed as dask_completed
        from distributed.scheduler import KilledWorker

        from simulation.sweep.store import run_record

        finished = store.finished()
        pending = [r for r in experiment.runs() if r.run_id not in finished]
        params = [experiment.params(arm) for arm in range(len(experiment.arms))]
        attempts: dict[str, int] = {}

        def submit(run: Run):
            attempts[run.run_id] = attempts.get(run.run_id, 0) + 1
            key = f"carecap-{experiment.name}-{run.run_id}-try{attempts[run.run_id]}"
            return self.client.submit(self.task, params[run.arm], run.seed, experiment.days,
                                      key=key, pure=False)

        futures = {submit(r): r for r in pending}
        completed = dask_completed(futures)
        for future in completed:
            run = futures.pop(future)
            try:
                # result() rather than status: a result lost with its worker after it
                # finished is recomputed, and result() waits for it.
                daily, message = future.result(), None
            except CancelledError:
                # The scheduler cancels every future when the client loses it: the run
                # did not fail, and it and the rest stay pending for the next sweep.
                raise ClusterLostError(f"lost the Dask scheduler at {self.address}; "
                                       f"{len(store.finished())} finished runs are kept, "
                                       "and the same command resumes the sweep") from None
            except KilledWorker:
                if attempts[run.run_id] < KILLS_BEFORE_FAILED:
                    retry = submit(run)
                    futures[retry] = run
                    completed.add(retry)
                    future.release()
                    continue
                message = f"its worker process died (Dask, {attempts[run.run_id]} attempts)"
            except Exception as error:  # any error a run raises is recorded, not raised
                message = _described(error)
            if message is None:
                store.save(run, daily, run_record(experiment.name, run, experiment.arms[run.arm],
                                                  params[run.arm], experiment.days,
                                                  experiment.area))
            else:
                store.save_failure(run, message)
            future.release()
            if progress is not None:
                progress(run, message is None)


async def _greeted(address: str, timeout: float) -> None:
    """Connect to a Dask server and exchange greetings, within ``timeout`` seconds."""
    from distributed.comm import connect

    comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
    await comm.close()


def execute(experiment: Experiment, store: SweepStore, workers: int,
            progress: Progress | None = None, task: Task = run_one,
            scheduler: str | None = None) -> None:
    """Run every planned run not yet finished, writing each result as it ends.

    Holds the folder's lock meanwhile (see :meth:`SweepStore.lock`).

    Args:
        experiment: The experiment.
        store: Its folder (prepared).
        workers: Worker processes (local pool only).
        progress: Called as ``progress(run, ok)`` after each run ends.
        task: What a worker runs (the model, or a stand-in in tests).
        scheduler: A Dask scheduler address (``tcp://host:port``); local if ``None``.
    """
    pool = DaskPool(scheduler, task) if scheduler is not None else LocalPool(workers, task)
    with pool, store.lock():
        pool.run(experiment, store, progress)
