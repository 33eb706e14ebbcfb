"""The dashboard's browser assets, fetched once from the npm registry so pages work offline.

Solara's page template loads its JavaScript and CSS (the Vuetify app, RequireJS, Font
Awesome) from a CDN, through a proxy in Solara's server that caches each file under
``<environment>/share/solara/cdn/<package>@<version>/``. There is no CDN on a closed
network (many NHS ones), so this fills that cache ahead of time: ``npm pack`` each
package the installed Solara names and unpack it there. npm is used, rather than a plain
download, so that a site's npm configuration (proxy, internal mirror) applies.

Run ``uv run python -m simulation.dashboard.assets`` (``scripts/setup.sh`` does). It is
idempotent: packages already unpacked are skipped, so a second run takes well under a
second.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

# "{{cdn}}/@scope/name@1.2.3/..." in Solara's page templates.
_TEMPLATE_REFERENCE = re.compile(
    r"\{\{\s*cdn\s*\}\}/((?:@[a-z0-9._-]+/)?[a-z0-9._-]+@\d[0-9a-z.-]*)")
# The Font Awesome stylesheet's default path, declared in Solara's server settings.
_FONTAWESOME_DEFAULT = re.compile(r'fontawesome_path: str = "/([a-z0-9._-]+@\d[0-9a-z.-]*)/')
NPM_TIMEOUT_SECONDS = 120


# static/custom.js, which Solara's page template runs in every page (see static_locations).
STATIC = Path(__file__).parent / "static"


class AssetError(RuntimeError):
    """The assets could not be fetched; the message says why and what to do."""


def cache_dir() -> Path:
    """Where Solara's server looks for CDN files before going to the internet.

    Solara's own default and environment variable, restated because importing Solara to
    ask takes seconds (a test checks the two agree).
    """
    configured = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(configured) if configured else Path(sys.prefix) / "share" / "solara" / "cdn"


def _package_folder(name: str) -> Path:
    """The folder of an installed Python package."""
    spec = find_spec(name)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def required_packages() -> list[str]:
    """``name@version`` of every npm package the installed Solara's pages load."""
    server = _package_folder("solara") / "server"
    found = {match for path in (server / "templates").iterdir() if path.is_file()
             for match in _TEMPLATE_REFERENCE.findall(path.read_text(encoding="utf-8"))}
    found.update(_FONTAWESOME_DEFAULT.findall((server / "settings.py").read_text("utf-8")))
    # The template picks the Vue 3 app or the Vue 2 one by ipyvue's major version; the
    # other is 30 MB that would never be served.
    unused = "solara-vuetify-app@" if version("ipyvue").startswith("3") else "solara-vuetify3-app@"
    return sorted(name for name in found if unused not in name)


def plotly_js() -> Path:
    """plotly.min.js as the Python ``plotly`` package ships it (so no download is needed)."""
    return _package_folder("plotly") / "package_data" / "plotly.min.js"


def static_locations() -> list[Path]:
    """Folders for Solara's server to serve under ``/static/assets/``.

    ``STATIC`` (its ``custom.js`` starts loading plotly.js with the page, in parallel with
    the server building the first run) and plotly.js's own folder. Solara reads them from
    ``SOLARA_ASSETS_EXTRA_LOCATIONS`` when its server is imported.
    """
    return [STATIC, plotly_js().parent]


def missing_assets() -> list[str]:
    """The required packages not yet unpacked into the cache."""
    return [name for name in required_packages()
            if not (cache_dir() / name / "package.json").is_file()]


def install(log=print) -> int:
    """Fetch and unpack every missing package; return how many were fetched.

    Raises:
        AssetError: If npm is missing, the registry cannot be reached, or a package
            cannot be unpacked.
    """
    missing = missing_assets()
    if not missing:
        return 0
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm not found: install Node.js (which brings npm) to fetch the "
                         f"dashboard's browser assets: {', '.join(missing)}")
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as work:
        for name in missing:
            log(f"fetching {name} from the npm registry")
            tarball = _pack(npm, name, Path(work))
            _unpack(tarball, target / name, Path(work))
    return len(missing)


def _pack(npm: str, name: str, work: Path) -> Path:
    """``npm pack`` one package into ``work``; return the tarball's path."""
    command = [npm, "pack", name, "--pack-destination", str(work), "--loglevel=error",
               "--fetch-retries=1", "--fetch-timeout=30000"]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=NPM_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise AssetError(f"npm pack {name}: no answer from the npm registry in "
                         f"{NPM_TIMEOUT_SECONDS} s (check the network or npm's proxy "
                         "and registry settings)") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = [line for line in done.stderr.splitlines() if "err" in line.lower()]
        detail = (errors[0] if errors else done.stderr.strip()[-200:]).strip()
        raise AssetError(f"npm pack {name} failed: {detail or 'no output'} (is the npm "
                         "registry reachable? `npm config get registry` names it)")
    return work / lines[-1].strip()


def _unpack(tarball: Path, destination: Path, work: Path) -> None:
    """Unpack the tarball's ``package/`` folder as ``destination``, all or nothing."""
    staging = Path(tempfile.mkdtemp(dir=work))
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise AssetError(f"{tarball.name}: cannot be unpacked ({error})") from None
    if not (staging / "package" / "package.json").is_file():
        raise AssetError(f"{tarball.name}: no package/package.json inside")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():  # a half-made copy from an interrupted run
        shutil.rmtree(destination)
    # A rename, so a server never sees a half-unpacked package.
    (staging / "package").rename(destination)


def main() -> int:
    """Fetch what is missing and say so; exit code 1 with one line on failure."""
    try:
        fetched = install()
    except AssetError as error:
        print(f"dashboard assets: error: {error}", file=sys.stderr)
        return 1
    state = f"fetched {fetched} package(s)" if fetched else "already present"
    print(f"dashboard assets: {state} in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
