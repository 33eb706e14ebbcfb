"""Run a sweep's pending runs, surviving errors and dead workers, locally or on Dask.

Locally (the default) runs go to a process pool. A run that raises is recorded with its
error and the sweep goes on. A worker that dies (killed, out of memory) breaks the pool:
the pool is rebuilt and the unfinished runs retried; if it breaks again, runs go one at
a time until the run that kills its worker is found, retried once more, then recorded
as failed.

With a scheduler address the same runs go to a Dask distributed cluster, whose
scheduler retries a task whose worker died (``distributed.scheduler.allowed-failures``)
before reporting it failed; it also blames the tasks queued behind it, so set
``distributed.scheduler.worker-saturation: 1.0`` on the scheduler to queue none (we retry
a blamed run once more anyway). A cluster on SLURM or PBS comes from dask-jobqueue: start a
``SLURMCluster`` or ``PBSCluster``, scale it, and pass its ``scheduler_address``.

Either way each result is written by this process the moment it arrives, so the files
are the same whichever executor ran them.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

import pandas as pd

from simulation.params import Params
from simulation.runner import run as run_model
from simulation.sweep.experiment import Experiment, Run
from simulation.sweep.store import SweepStore

KILLS_BEFORE_FAILED = 2
# Workers fork from a server that has the model imported and its compiled kernels loaded
# (sweep/preload.py): fast to start, and safe (forking this process itself, which has
# Arrow's threads, can deadlock).
POOL_CONTEXT = multiprocessing.get_context("forkserver")
POOL_CONTEXT.set_forkserver_preload(["simulation.sweep.preload"])


def run_one(params: Params, seed: int, days: int) -> pd.DataFrame:
    """One run's daily metrics (the function the workers call)."""
    return run_model(None, params=params, seed=seed, days=days).daily


def execute(experiment: Experiment, store: SweepStore, workers: int,
            progress: Callable[[Run, bool], None] | None = None,
            task: Callable[[Params, int, int], pd.DataFrame] = run_one,
            scheduler: str | None = None) -> None:
    """Run every planned run not yet finished, writing each result as it ends.

    Args:
        experiment: The experiment.
        store: Its folder (prepared).
        workers: Worker processes (local pool only).
        progress: Called as ``progress(run, ok)`` after each run ends.
        task: What a worker runs (the model, or a stand-in in tests).
        scheduler: A Dask scheduler address (``tcp://host:port``); local if ``None``.
    """
    finished = store.finished()
    pending = [r for r in experiment.runs() if r.run_id not in finished]
    params = [experiment.params(arm) for arm in range(len(experiment.arms))]  # read once
    if scheduler is not None:
        _execute_on_dask(experiment, params, store, pending, scheduler, progress, task)
        return
    kills: dict[str, int] = {}
    pool_size = workers
    while pending:
        broken = False
        with ProcessPoolExecutor(max_workers=pool_size, mp_context=POOL_CONTEXT) as pool:
            futures = {pool.submit(task, params[r.arm], r.seed, experiment.days): r
                       for r in pending}
            for future in as_completed(futures):
                run = futures[future]
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken = True
                    continue
                if error is None:
                    store.save(run, future.result())
                else:
                    store.save_failure(run, "".join(traceback.format_exception(error)).strip())
                pending.remove(run)
                if progress is not None:
                    progress(run, error is None)
        if not broken:
            break
        if pool_size > 1:
            pool_size = 1  # one at a time: the next break names the run that caused it
            continue
        culprit = pending[0]  # a one-worker pool runs in order: the first unfinished died
        kills[culprit.run_id] = kills.get(culprit.run_id, 0) + 1
        if kills[culprit.run_id] >= KILLS_BEFORE_FAILED:
            store.save_failure(culprit, f"its worker process died {KILLS_BEFORE_FAILED} times")
            pending.remove(culprit)
            if progress is not None:
                progress(culprit, False)
            pool_size = workers


def _execute_on_dask(experiment: Experiment, params: list[Params], store: SweepStore,
                     pending: list[Run], scheduler: str,
                     progress: Callable[[Run, bool], None] | None,
                     task: Callable[[Params, int, int], pd.DataFrame]) -> None:
    """Run the pending runs on a Dask cluster, writing each result as it arrives.

    Dask blames every task queued on a worker that died, not only the one running, so
    an innocent run can come back as ``KilledWorker``: it is resubmitted under a fresh
    key, up to ``KILLS_BEFORE_FAILED`` attempts, before it is recorded as failed.
    """
    from distributed import Client
    from distributed import as_completed as dask_completed
    from distributed.scheduler import KilledWorker

    attempts: dict[str, int] = {}
    with Client(scheduler, timeout="30s") as client:
        def submit(run: Run):
            attempts[run.run_id] = attempts.get(run.run_id, 0) + 1
            key = f"carecap-{experiment.name}-{run.run_id}-try{attempts[run.run_id]}"
            return client.submit(task, params[run.arm], run.seed, experiment.days,
                                 key=key, pure=False)

        futures = {submit(r): r for r in pending}
        completed = dask_completed(futures)
        for future in completed:
            run = futures.pop(future)
            try:
                # result() rather than status: a result lost with its worker after it
                # finished is recomputed, and result() waits for it.
                daily, message = future.result(), None
            except KilledWorker:
                if attempts[run.run_id] < KILLS_BEFORE_FAILED:
                    retry = submit(run)
                    futures[retry] = run
                    completed.add(retry)
                    future.release()
                    continue
                message = f"its worker process died (Dask, {attempts[run.run_id]} attempts)"
            except Exception as error:  # any error a run raises is recorded, not raised
                message = "".join(traceback.format_exception(error)).strip()
            if message is None:
                store.save(run, daily)
            else:
                store.save_failure(run, message)
            future.release()
            if progress is not None:
                progress(run, message is None)
