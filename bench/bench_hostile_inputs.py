"""Hostile inputs, counted: bad MIDI files, take logs and checkpoints through the real commands.

Each case runs as its own `conductor rehearse PIECE --human FILE` or `conductor model info PATH`
subprocess (a hang is a timeout, a traceback is a traceback, not an exception caught in-process) and
is counted as a clean error (exit 1, one `error:` line naming the file), a clean take (exit 0, the
take written, every AI note closed; for a checkpoint: it loaded), an unclear error (exit 1 without
naming the file, like `cannot read None: None`), a traceback, a hang, a lost take (exit 0, no take) or
stuck (AI) notes.
The cases are the hand-made sets of tests/rehearse/hostile.py and tests/backends/skytnt/crafted.py
plus seeded mutants. Not part of the test suite: `python bench/bench_hostile_inputs.py [--mutants N]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import mido

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "backends" / "skytnt")]

from tests.rehearse.hostile import midi_cases, midi_mutants, take_cases, take_mutants  # noqa: E402

PIECE = """
title: Hostile
tempo: 120
model: markov
sections:
  - {name: intro, mode: listen, length: 1 bar}
  - {name: duet, mode: duet, length: 8 bars}
  - {name: fours, mode: trading, length: 4 bars, turns: {bars: 1, starts: human}, then: stop}
"""
OUTCOMES = ("clean error", "clean take", "unclear error", "traceback", "hang", "take lost", "stuck notes")


CODE = ROOT  # the checkout whose conductor runs the cases (--against: compare another one)


def run(argv: list[str], target: Path, take: Path | None, timeout: float) -> str:
    """The outcome of one `conductor` subprocess (see OUTCOMES)."""
    env = {**os.environ, "PYTHONPATH": str(CODE), "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "conductor", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    err = done.stderr.strip().splitlines()
    if "Traceback" in done.stderr or done.returncode not in (0, 1):
        return "traceback"
    if done.returncode == 1:
        clean = bool(err) and err[-1].startswith("error: ") and str(target) in err[-1]
        return "clean error" if clean else "unclear error"
    if take is None:
        return "clean take"
    if not take.exists():
        return "take lost"
    return "clean take" if balanced(take) else "stuck notes"


def balanced(path: Path) -> bool:
    """Every AI note-on in the take closed by a note-off. (The `human` track is a faithful record of
    the input: a file cut mid-note leaves that note open there, as the human left it.)"""
    for track in (t for t in mido.MidiFile(path).tracks if t.name == "ai"):
        sounding: Counter[tuple[int, int]] = Counter()
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[(msg.channel, msg.note)] += 1
            elif msg.type in ("note_on", "note_off"):
                sounding[(msg.channel, msg.note)] -= 1
        if any(v > 0 for v in sounding.values()):
            return False
    return True


def human_files(folder: Path, mutants: int) -> list[tuple[str, Path]]:
    """The hand-made hostile human files, then `mutants` MIDI and take-log mutants."""
    files = []
    for case in midi_cases() + take_cases():
        (folder / case.name).mkdir()
        files.append((case.name, case.make(folder / case.name)))
    generated = [*midi_mutants(seed=7, count=mutants), *take_mutants(seed=7, count=mutants // 2)]
    for name, data in generated:
        path = folder / "mutants" / (name + (".jsonl" if name.startswith("log-") else ".mid"))
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        files.append((name, path))
    return files


def checkpoints(folder: Path) -> list[tuple[str, Path, Path]]:
    """The crafted checkpoints: (name, path given, file the error must name)."""
    from crafted import CASES

    made = []
    for name, make in CASES.items():
        (folder / name).mkdir()
        path, named, _ = make(folder / name)
        made.append((name, path, named))
    return made


def table(rows: dict[str, Counter[str]]) -> str:
    head = "| input | tried | " + " | ".join(OUTCOMES) + " |"
    lines = [head, "|" + "---|" * (len(OUTCOMES) + 2)]
    for name, counts in rows.items():
        cells = " | ".join(str(counts[o]) for o in OUTCOMES)
        lines.append(f"| {name} | {sum(counts.values())} | {cells} |")
    return "\n".join(lines)


def rehearse_all(folder: Path, mutants: int, timeout: float, rows: dict[str, Counter[str]]) -> list[str]:
    """Every hostile human file through `conductor rehearse`; returns the faults, one line each."""
    piece = folder / "hostile.yaml"
    piece.write_text(PIECE)
    (folder / "human").mkdir()
    bad = []
    for name, path in human_files(folder / "human", mutants):
        take = folder / "takes" / f"{name}.mid"
        outcome = run(["rehearse", str(piece), "--human", str(path), "--out", str(take)], path, take, timeout)
        group = "take logs (.jsonl)" if path.suffix == ".jsonl" else "MIDI files"
        group += " — mutants" if path.parent.name == "mutants" else " — hand-made"
        rows.setdefault(group, Counter())[outcome] += 1
        if outcome not in ("clean error", "clean take"):
            bad.append(f"{outcome}: rehearse --human {name}")
    return bad


def inspect_all(folder: Path, timeout: float, rows: dict[str, Counter[str]]) -> list[str]:
    """Every crafted checkpoint through `conductor model info`; returns the faults, one line each."""
    (folder / "ckpt").mkdir()
    bad = []
    for name, path, named in checkpoints(folder / "ckpt"):
        outcome = run(["model", "info", str(path)], named, None, timeout)
        rows.setdefault("checkpoints (model info)", Counter())[outcome] += 1
        if outcome != "clean error":
            bad.append(f"{outcome}: model info {name}")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=60, help="MIDI mutants (half as many take-log ones)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    parser.add_argument("--against", type=Path, help="run another checkout's conductor on the same cases")
    args = parser.parse_args()
    global CODE
    CODE = (args.against or ROOT).resolve()
    rows: dict[str, Counter[str]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        bad = rehearse_all(Path(tmp), args.mutants, args.timeout, rows)
        bad += inspect_all(Path(tmp), args.timeout, rows)
    print(table(rows))
    print(f"\n{time.perf_counter() - started:.0f} s; " + ("; ".join(bad) if bad else "no faults"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
