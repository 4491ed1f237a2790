"""Run every benchmark (`bench/bench_*.py`), each in its own process, and print their tables.

`make bench` calls this. Each benchmark measures its own baseline in the same run and prints a
markdown table of ratios; copy the tables into docs/benchmarks.md with the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """One line describing this machine, for the results' header."""
    cores = os.cpu_count()
    return f"{platform.machine()} {cores} cores, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (default: all), returning non-zero if any failed."""
    wanted = set(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if wanted:
        scripts = [p for p in scripts if p.stem.removeprefix("bench_") in wanted]
    print(f"# conductor benchmarks — {dt.date.today().isoformat()} — {machine()}\n")
    failed = 0
    for script in scripts:
        print(f"## {script.stem}\n", flush=True)
        done = subprocess.run([sys.executable, str(script)], check=False)
        if done.returncode != 0:
            print(f"\n{script.name} failed with exit status {done.returncode}\n")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
