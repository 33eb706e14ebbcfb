"""Seeds in the background: how long a dashboard step takes while replicates run.

    uv run python benchmarks/dashboard_seeds.py --seeds 8 --residents 2000 --days 365

A session asks for N seeds of a setting and its comparison; while they run, the server
keeps stepping a run and building the chart it sends (what a Step costs the server).
Three ways are timed: no seeds running; the seeds in a worker process (the dashboard's
way); the seeds in a thread of the server's own process. Printed: each step's median and
worst time, and how long the seeds took. The model's compiled kernels hold Python's lock
while they run, so a thread's seeds make the server's steps wait; a process's do not.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from plotly.io.json import to_json_plotly

from benchmarks.common import replicate_parser
from simulation.dashboard import figures
from simulation.dashboard.replicates import WORKERS, Job, Pool
from simulation.dashboard.session import Session
from simulation.dashboard.setting import Setting


def steps_while(session: Session, job: Job | None, most: int = 400) -> list[float]:
    """Step and draw the time series until ``job`` is over (or ``most`` steps); ms each."""
    spent = []
    while len(spent) < most and ((job is None and len(spent) < 60) or (job and not job.over)):
        started = time.perf_counter()
        session.step(1)
        policy, other = session.frames()
        shown = figures.Shown(policy, other, session.setting, session.run.residents)
        to_json_plotly(figures.timeseries(shown).series().points)
        spent.append(1000 * (time.perf_counter() - started))
        time.sleep(0.02)  # a page's click now and then, not a busy loop
    return spent


def main() -> None:
    args = replicate_parser(__doc__, seeds=8, residents=2_000, days=365).parse_args()
    setting = Setting("peer_visits", 0, args.residents, compare="baseline", days=args.days)
    ways = {"no seeds running": None,
            f"seeds in {WORKERS} worker process(es)": Pool(),
            "seeds in a thread of the server": Pool(workers=1, executor=ThreadPoolExecutor)}
    for way, pool in ways.items():
        session = Session.start(replace_days(setting, 3_650))
        session.step(5)  # warm
        job = None
        if pool is not None:
            pool.warm()
            job = pool.submit(Job(setting, args.residents, args.seeds))
        started = time.perf_counter()
        spent = steps_while(session, job)
        took = time.perf_counter() - started
        seeds = f"; {args.seeds} seeds x 2 runs in {took:.1f} s" if job else ""
        print(f"{way}: step and chart median {statistics.median(spent):.0f} ms, "
              f"worst {max(spent):.0f} ms over {len(spent)} steps{seeds}", flush=True)


def replace_days(setting: Setting, days: int) -> Setting:
    """The setting with another length (the stepped run must outlast the seeds)."""
    return Setting(setting.scenario, setting.seed, setting.residents, setting.overrides,
                   setting.compare, days)


if __name__ == "__main__":
    main()
