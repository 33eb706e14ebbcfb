#!/usr/bin/env bash
# Set up carecap on a fresh machine: uv, a Python >= 3.12, and the locked dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet uv
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
