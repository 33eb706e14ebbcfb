"""The scripts a new user runs first: ``scripts/carecap`` finds uv where setup put it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = os.environ.get("UV") or shutil.which("uv")  # `uv run` says which uv runs it


@pytest.mark.skipif(UV is None or shutil.which("python3") is None,
                    reason="needs uv and a python3")
def test_the_launcher_finds_uv_in_the_users_folder_though_it_is_not_on_path(
        tmp_path: Path) -> None:
    # As after setup's `pip install --user uv` on a fresh machine: uv in ~/.local/bin,
    # which the shell that ran setup does not look in yet.
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "uv").symlink_to(UV)
    elsewhere.mkdir()
    python_folder = str(Path(shutil.which("python3")).parent)
    path = os.pathsep.join(d for d in ("/usr/bin", "/bin", python_folder)
                           if not (Path(d) / "uv").exists())
    done = subprocess.run([str(ROOT / "scripts" / "carecap"), "params"], cwd=elsewhere,
                          env={"HOME": str(home), "PATH": path,
                               "UV_CACHE_DIR": str(tmp_path / "cache")},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "peer_scheme" in done.stdout
    assert list(elsewhere.iterdir()) == []  # run from any folder, writing nothing there
