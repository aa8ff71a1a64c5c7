#!/usr/bin/env bash
# Create .venv and install journal (the distribution runjournal) with its bundled experiments and
# test tools: `pip install -e ".[experiments,test]"`. Safe to run again: it reinstalls only when
# pyproject.toml changed.
#
# torch, in the [experiments] extra, stays an open range so that a machine with a GPU keeps its
# CUDA build. Where no NVIDIA GPU is visible, the CPU build named by $JOURNAL_TORCH (default torch==2.13.0)
# is installed first, so the open range is already satisfied and pip fetches no CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "journal needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check)

stamp=.venv/.journal-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
  exit 0
fi
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    "${pip[@]}" install -q "torch>=2.2"
  else
    "${pip[@]}" install -q "${JOURNAL_TORCH:-torch==2.13.0}"
  fi
fi
# This package was once installed under the distribution name "journal": drop that editable copy.
if "${pip[@]}" show journal 2>/dev/null | grep -qx "Editable project location: $PWD"; then
  "${pip[@]}" uninstall -q -y journal
fi
"${pip[@]}" install -q -e ".[experiments,test]"
echo "$want" > "$stamp"
