#!/usr/bin/env bash
# The journal in one command: set up, train the tiny experiments, build the site.
#
#   scripts/demo.sh          train every experiment (seeds 0 and 1), then
#                            `mkdocs build --strict` into site/
#   scripts/demo.sh serve    train, then `mkdocs serve` on http://127.0.0.1:8000 (live reload)
#
# SEEDS=0,1,2,3 trains more seeds, EXPERIMENTS=ser fewer experiments (default: every one
# `journal experiments --names` lists). Each call adds runs;
# none is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NO_MKDOCS_2_WARNING=1
for experiment in ${EXPERIMENTS:-$(.venv/bin/journal experiments --names)}; do
  .venv/bin/journal run "$experiment" --seeds "${SEEDS:-0,1}"
done
if [ "${1:-build}" = "serve" ]; then
  exec .venv/bin/mkdocs serve
fi
.venv/bin/mkdocs build --strict
echo "The journal is in site/: open site/index.html, or run 'scripts/demo.sh serve'."
