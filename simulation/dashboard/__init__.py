"""The policy dashboard: a Solara app in the browser (``carecap dashboard``).

* :mod:`~simulation.dashboard.setting` — a run's setting as a shareable code;
* :mod:`~simulation.dashboard.command` — the command and the server;
* :mod:`~simulation.dashboard.assets` — the browser assets, fetched once for offline use;
* :mod:`~simulation.dashboard.app` — the page.
"""
