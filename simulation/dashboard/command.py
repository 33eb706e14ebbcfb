"""``carecap dashboard``: serve the Solara app on this machine (or a chosen interface).

The server is Solara's Starlette app run by uvicorn, with the app named in ``SOLARA_APP``
(read when Solara's server is imported, hence the late imports). Telemetry is off: the
dashboard runs on closed networks, and nothing about a run leaves the machine.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import sys
import warnings
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
    """The address the server listens on, with the shared setting when given."""
    shown = f"[{host}]" if ":" in host else host
    query = f"?setting={quote(setting.encode(), safe='~')}" if setting is not None else ""
    return f"http://{shown}:{port}/{query}"


def serve(host: str, port: int, setting: Setting | None = None,
          console: Console | None = None, area: Area | None = None) -> int:
    """Serve the dashboard until Ctrl-C; print the address to open first.

    Args:
        host: Interface to listen on (``127.0.0.1`` keeps it to this machine; any other
            is warned of, as the dashboard has no login).
        port: TCP port.
        setting: If given, the printed address opens the dashboard on this setting.
        console: Where to print (default: a new rich console).
        area: The area whose towns the server runs (``None``: England's defaults); every
            session, worker and shared link is for it.

    Returns:
        The exit code (0 after Ctrl-C).

    Raises:
        simulation.inputs.InputError: If the host is not an address of this machine, or
            the port is in use or not allowed there.
    """
    console = console or Console()
    addresses = _listen_check(host, port)
    if not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        print(f"carecap: warning: --host {host}: the dashboard is reachable from the "
              "network and has no login; anyone who can reach this machine can use it "
              "(allowed without this warning: 127.0.0.1)", file=sys.stderr)
    if area is not None:
        os.environ[AREA_ENV] = str(area.path.resolve())
    else:
        os.environ.pop(AREA_ENV, None)
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SOLARA_ASSETS_EXTRA_LOCATIONS"] = ",".join(map(str, static_locations()))
    # Solara warns on every new session over plain http that it falls back to SameSite=Lax
    # cookies, which is right for this server (never embedded in another site's frame).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    missing = missing_assets()
    if missing:
        console.print(f"[yellow]warning:[/] {len(missing)} browser asset package(s) are not "
                      "installed locally, so the page needs the internet; run "
                      "`uv run python -m simulation.dashboard.assets` once to work offline.")
    from simulation.dashboard.app import warm_up  # imports Solara: after its settings above

    warm_up()
    console.print(f"carecap dashboard: open [bold]{url(host, port, setting)}[/] "
                  + (f"({area.title}'s town) " if area is not None else "")
                  + "(Ctrl-C to stop)", soft_wrap=True)
    import uvicorn

    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0


def _listen_check(host: str, port: int) -> list[str]:
    """Listen on ``host:port`` for a moment, so a bad flag is refused before any work.

    Returns:
        The addresses ``host`` stands for.

    Raises:
        simulation.inputs.InputError: Blaming ``--host`` for an address that is not one of
            this machine's, ``--port`` for a port in use or not allowed.
    """
    allowed_host = ("allowed: an address of this machine, such as 127.0.0.1, or 0.0.0.0 "
                    "for every interface")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise InputError(f"--host {host}: not an address or a known name "
                         f"({allowed_host})") from None
    family, _, _, _, address = found[0]
    try:
        with socket.create_server(address[:2], family=family):
            pass
    except OSError as error:
        if error.errno == errno.EADDRNOTAVAIL:
            raise InputError(f"--host {host}: not an address of this machine "
                             f"({allowed_host})") from None
        if error.errno == errno.EACCES:
            raise InputError(f"--port {port}: not allowed for this user on {host} "
                             f"({error.strerror}) (allowed: a port from 1024 to 65535)"
                             ) from None
        raise InputError(f"--port: cannot listen on {host}:{port} ({error.strerror}) "
                         f"(allowed: a free port, e.g. --port "
                         f"{port + 1 if port < 65535 else 8765})") from None
    return [str(info[4][0]).split("%")[0] for info in found]  # no IPv6 zone in the address
