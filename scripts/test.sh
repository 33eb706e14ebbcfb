#!/usr/bin/env bash
# Run carecap's checks: set up if needed, lint, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
uv run ruff check .
uv run pytest "$@"
