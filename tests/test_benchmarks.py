"""The benchmark script runs (smoke sizes) and prints each ratio with its target."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_benchmark_smoke_prints_ratios_with_targets() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke",
                             "--only", "loading,input"], capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 2
    for line in lines:
        assert re.search(r"\d+\.\d\d×  target [≤≥] \d", line), line
    assert "load + validate 1000 records / json.load" in result.stdout
