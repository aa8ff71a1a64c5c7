#!/usr/bin/env bash
# Set up (with the logging baselines, TensorBoard and MLflow), then run the benchmarks.
# Arguments go to benchmarks/run.py: --smoke for small sizes, --only site,logging,loading,input.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[bench]"
export NO_MKDOCS_2_WARNING=1
exec .venv/bin/python benchmarks/run.py "$@"
