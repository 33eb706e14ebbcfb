"""``carecap dashboard``: serve the Solara app on this machine (or a chosen interface).

The server is Solara's Starlette app run by uvicorn, with the app named in ``SOLARA_APP``
(read when Solara's server is imported, hence the late imports). Telemetry is off: the
dashboard runs on closed networks, and nothing about a run leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
from urllib.parse import quote

from rich.console import Console

from simulation.areas import Area, area_flag
from simulation.dashboard.assets import missing_assets, static_locations
from simulation.dashboard.setting import AREA_ENV, Setting
from simulation.inputs import InputError

APP = "simulation.dashboard.app"


def dashboard(args: argparse.Namespace, console: Console) -> int:
    """Run ``carecap dashboard [--port P] [--host H] [--area FILE]``; returns the exit code.

    Raises:
        simulation.inputs.InputError: On a bad ``--port``, ``--host`` or ``--area``, or a
            port in use.
    """
    host, port = server_address(args)
    area = area_flag(getattr(args, "area", None))
    return serve(host, port, console=console, area=area)


def server_address(args: argparse.Namespace) -> tuple[str, int]:
    """The ``--host`` and ``--port`` flags, checked.

    Raises:
        simulation.inputs.InputError: If the port is not a number from 1 to 65535 or the host
            is empty.
    """
    text = str(args.port).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InputError(f"--port: {args.port!r} is not a port "
                       "(allowed: a whole number from 1 to 65535)")
    if not str(args.host).strip():
        raise InputError("--host: empty (allowed: an address such as 127.0.0.1 or 0.0.0.0)")
    return str(args.host).strip(), int(text)


def url(host: str, port: int, setting: Setting | None = None) -> str:
    """The address to open in a browser, with the shared setting when given."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # any interface: this machine's
    shown = f"[{shown}]" if ":" in shown else shown
    query = f"?setting={quote(setting.encode(), safe='~')}" if setting is not None else ""
    return f"http://{shown}:{port}/{query}"


def serve(host: str, port: int, setting: Setting | None = None,
          console: Console | None = None, area: Area | None = None) -> int:
    """Serve the dashboard until Ctrl-C; print the address to open first.

    Args:
        host: Interface to listen on (``127.0.0.1`` keeps it to this machine).
        port: TCP port.
        setting: If given, the printed address opens the dashboard on this setting.
        console: Where to print (default: a new rich console).
        area: The area whose towns the server runs (``None``: England's defaults); every
            session, worker and shared link is for it.

    Returns:
        The exit code (0 after Ctrl-C).

    Raises:
        simulation.inputs.InputError: If the port is already in use on that interface.
    """
    console = console or Console()
    try:
        with socket.create_server((host, port), family=_family(host)):
            pass
    except OSError as error:
        raise InputError(f"--port: cannot listen on {host}:{port} ({error.strerror}) "
                       f"(allowed: a free port, e.g. --port {port + 1 if port < 65535 else 8765})"
                       ) from None
    if area is not None:
        os.environ[AREA_ENV] = str(area.path.resolve())
    else:
        os.environ.pop(AREA_ENV, None)
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SOLARA_ASSETS_EXTRA_LOCATIONS"] = ",".join(map(str, static_locations()))
    missing = missing_assets()
    if missing:
        console.print(f"[yellow]warning:[/] {len(missing)} browser asset package(s) are not "
                      "installed locally, so the page needs the internet; run "
                      "`uv run python -m simulation.dashboard.assets` once to work offline.")
    from simulation.dashboard.app import warm_up  # imports Solara: after its settings above

    warm_up()
    console.print(f"carecap dashboard: open [bold]{url(host, port, setting)}[/] "
                  + (f"({area.title}'s town) " if area is not None else "")
                  + "(Ctrl-C to stop)")
    import uvicorn

    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
