#!/usr/bin/env bash
# Set up carecap on a fresh machine: uv, a Python >= 3.12, and the locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

# pip --user and uv's standalone installer put uv in ~/.local/bin (pipx too): look there
# for the rest of this script, whether uv was installed now or on an earlier run.
users_path=$PATH
source scripts/uv-path.sh

# Each way in can be closed: pip may be missing, or refuse a system Python (PEP 668,
# Debian and Ubuntu); pipx may be missing; the standalone installer needs the internet.
install_uv() {
  if python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip install --quiet uv 2>/dev/null && return 0  # refused under PEP 668
    python3 -m pip install --quiet --user --break-system-packages uv && return 0
  fi
  if command -v pipx >/dev/null 2>&1; then
    pipx install uv && return 0
  fi
  if command -v curl >/dev/null 2>&1; then
    # UV_NO_MODIFY_PATH: leave shell start-up files alone, so reruns change nothing.
    curl -LsSf https://astral.sh/uv/install.sh | env UV_NO_MODIFY_PATH=1 sh && return 0
  fi
  return 1
}

if ! uv --version >/dev/null 2>&1; then
  install_uv || true
  # pip into a pyenv Python puts uv beside that Python: pyenv's shim for it needs a rehash.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash 2>/dev/null || true; fi
  if ! uv --version >/dev/null 2>&1; then
    echo "setup: could not install uv (tried pip, pip --user, pipx and" \
      "https://astral.sh/uv/install.sh); install it by hand: https://docs.astral.sh/uv/" >&2
    exit 1
  fi
fi

# uv cannot download a Python everywhere (closed networks), so use one already here.
python=""
for candidate in python3.13 python3.12; do
  if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
    python=$(command -v "$candidate")
    break
  fi
done
if [ -z "$python" ] && command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare | grep -E '^3\.1[2-9]\.[0-9]+$' | sort -V | tail -n 1 || true)
  if [ -n "$version" ]; then
    python="$(pyenv prefix "$version")/bin/python3"
  fi
fi

# Byte-compile at install: where PYTHONDONTWRITEBYTECODE is set (containers, CI), every
# process would otherwise recompile the dependencies' sources on import (seconds each).
uv sync --locked --compile-bytecode ${python:+--python "$python"}

# The dashboard's JavaScript and CSS, from the npm registry, so it works without internet.
uv run python -m simulation.dashboard.assets

# The model's compiled kernels, into numba's cache: else the first run compiles them.
echo "setup: compiling the model's kernels (about 20 s the first time)"
uv run python -c "from simulation.runner import compile_kernels; compile_kernels()"

# Asked of the user's own PATH, after any install: uv may have landed on it (pyenv's shims).
if ! (PATH=$users_path; command -v uv >/dev/null 2>&1); then
  uv_dir=$(dirname "$(command -v uv)")
  echo "setup: uv is in $uv_dir, which is not on your PATH; scripts/carecap finds it," \
    "or add it (for example: export PATH=\"$uv_dir:\$PATH\")" >&2
fi
