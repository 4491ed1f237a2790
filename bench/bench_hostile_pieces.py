"""`conductor check` on every hostile piece of tests/piece/hostile.py, each in its own process.

Each run gets a wall-clock timeout; the peak memory of its whole process tree (check and its parser
process) is sampled from /proc every 10 ms. A run is *clean* when it exits 0 or 1 with no traceback
and, on 1, names the file; a *traceback* when one is printed; a *hang* when it passes the timeout.
Prints the counts (tried / clean / traceback / hang), the slowest and the largest runs, and every
run that was not clean. `--timeout S` (default 60), `--list` prints every run, `--code DIR` checks
with the conductor package found in DIR (another checkout, for a before/after comparison) and
`--memory-mb N` caps each run's address space (so an old version cannot take the machine's memory).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.piece.hostile import write_hostile  # noqa: E402


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    status: str  # clean | traceback | hang | unclear
    code: int | None
    seconds: float
    peak_mb: float
    first_line: str


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and its descendants (kB), from /proc; 0 once they are gone."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def _limit(memory_mb: int | None) -> Callable[[], None] | None:
    if memory_mb is None:
        return None

    def limit() -> None:  # in the child, before exec (this benchmark runs no threads)
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return limit


def check(name: str, path: Path, timeout: float, env: dict[str, str], memory_mb: int | None) -> Run:
    """Run `conductor check PATH`, sampling the memory of its process tree until it ends."""
    with tempfile.TemporaryFile() as out:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "conductor", "check", str(path)], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=env["PYTHONPATH"].split(os.pathsep)[0],
                                preexec_fn=_limit(memory_mb))  # fmt: skip
        peak = 0
        while proc.poll() is None and time.monotonic() - start < timeout:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.01)
        hung = proc.poll() is None
        if hung:
            proc.kill()
        code = proc.wait()
        seconds = time.monotonic() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if str(path) in line), lines[0] if lines else "")
    if hung:
        status = "hang"
    elif "Traceback (most recent call last)" in text:
        status = "traceback"
    elif code == 0 or (code == 1 and str(path) in text):
        status = "clean"
    else:
        status = "unclear"
    return Run(name, status, None if hung else code, seconds, peak / 1024, first.strip()[:100])


def main(argv: list[str]) -> int:
    """Run every hostile piece; print the table. Exit status 1 if any run was not clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is a hang")
    parser.add_argument("--list", action="store_true", help="print every run")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose conductor is checked")
    parser.add_argument("--memory-mb", type=int, help="address-space limit of each run (RLIMIT_AS)")
    args = parser.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(args.code.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        pieces = write_hostile(Path(tmp) / "hostile")
        runs = [check(name, path, args.timeout, env, args.memory_mb) for name, path in pieces]
    count = {s: sum(r.status == s for r in runs) for s in ("clean", "traceback", "hang", "unclear")}
    print("| tried | clean | traceback | hang | unclear | exit 0 (valid) | slowest | peak memory (tree) |")
    print("|---|---|---|---|---|---|---|---|")
    slow, big = max(runs, key=lambda r: r.seconds), max(runs, key=lambda r: r.peak_mb)
    print(f"| {len(runs)} | {count['clean']} | {count['traceback']} | {count['hang']} | {count['unclear']} "
          f"| {sum(r.code == 0 for r in runs)} | {slow.seconds:.1f} s ({slow.name}) "
          f"| {big.peak_mb:.0f} MB ({big.name}) |\n")  # fmt: skip
    shown = runs if args.list else [r for r in runs if r.status != "clean"]
    if shown:
        print("| piece | status | exit | seconds | peak MB | first line |")
        print("|---|---|---|---|---|---|")
        for r in shown:
            line = r.first_line.replace("|", "\\|")
            print(f"| {r.name} | {r.status} | {r.code} | {r.seconds:.2f} | {r.peak_mb:.0f} | {line} |")
    return 0 if count["clean"] == len(runs) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
