#!/usr/bin/env bash
# Set up, then lint, type-check and run the whole test suite. Arguments go to pytest.
# pytest exits 5 when no test ran; like any non-zero exit, that fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${JOURNAL_SKIP_BROWSER:-}" ]; then
  bash scripts/setup-browser.sh
fi
export NO_MKDOCS_2_WARNING=1
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
