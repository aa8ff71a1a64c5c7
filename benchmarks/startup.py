"""Start-up time: how long `journal --help`, shell completion and the MkDocs plugin take to load.

    .venv/bin/python benchmarks/startup.py            # median of 15 runs each
    .venv/bin/python benchmarks/startup.py --repeat 3

Each figure is the wall time of a fresh interpreter (the median of ``--repeat`` runs), next to
the bare interpreter (``python -c pass``) as the floor. The target, 0.3 s, is what a command line
and each completion keystroke may take without feeling slow. The plugin's figure is information:
it is loaded only by a site build, which needs MkDocs, pandas and matplotlib anyway; ``-X
importtime`` names the modules that cost the most.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.3  # seconds

MKDOCS_IMPORTS = ("import mkdocs.config.defaults, mkdocs.plugins, mkdocs.structure.files, "
                  "mkdocs.structure.nav, mkdocs.structure.pages")
# name → (python arguments, extra environment)
COMMANDS: dict[str, tuple[list[str], dict[str, str]]] = {
    "python -c pass (the floor)": (["-c", "pass"], {}),
    "journal --help": (["-m", "journal.cli", "--help"], {}),
    "completion of `journal <TAB>`": (["-c", "from journal.cli import main; main(prog_name='journal')"], {
        "_JOURNAL_COMPLETE": "bash_complete", "COMP_WORDS": "journal ", "COMP_CWORD": "1"}),
    "import journal": (["-c", "import journal"], {}),
    "import of MkDocs's own modules the plugin uses": (["-c", MKDOCS_IMPORTS], {}),
    "import journal.plugin (MkDocs loads it)": (["-c", "import journal.plugin"], {}),
}
# The plugin is only loaded by a build, which renders with pandas and matplotlib anyway: its
# figure is information, beside the MkDocs modules it cannot start without.
TARGETED = ("journal --help", "completion of `journal <TAB>`", "import journal")


def wall_time(args: list[str], env: dict[str, str], repeat: int) -> float:
    """The median wall time of ``python ARGS`` over ``repeat`` runs (one warm-up run first)."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO / "src")}
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=full_env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        if i:  # the first run warms the file cache and the bytecode
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def slowest_imports(args: list[str], top: int = 5) -> list[tuple[float, str]]:
    """The ``top`` modules with the largest cumulative import time under ``-X importtime``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]) / 1e6, parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="runs per command (median)")
    args = parser.parse_args()
    failed = 0
    for name, (argv, env) in COMMANDS.items():
        seconds = wall_time(argv, env, args.repeat)
        if name in TARGETED:
            ok = seconds <= TARGET
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {name:<48} {seconds:6.3f} s  target ≤ {TARGET} s",
                  flush=True)
        else:
            print(f"      {name:<48} {seconds:6.3f} s", flush=True)
    print("slowest imports of `import journal.plugin` (cumulative):")
    for seconds, module in slowest_imports(["-c", "import journal.plugin"]):
        print(f"      {seconds:6.3f} s  {module.strip()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
