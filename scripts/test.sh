#!/usr/bin/env bash
# Run carecap's checks: set up if needed, lint, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/uv-path.sh  # setup may have put uv where this shell does not look yet

# The dashboard's browser tests drive the system's Chromium (never Playwright's download).
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver
fi
uv run ruff check .
uv run pytest "$@"
