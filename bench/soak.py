"""An hour on stage: one long live performance over JACK, measured minute by minute (a benchmark).

`conductor perform --virtual --midi-api jack` plays a copy of `pieces/mark_sat.yaml` whose coda goes
back to the conversation instead of stopping, so every mode loops (duet, trading, ai_chords, ai_solo,
listen once at the start). This process is the musician: the bundled human part
(`examples/mark_human.mid`) looped for the whole run, a footswitch `next` (CC 80) every `--press-s`,
and every `--reload-min` minutes an atomic save of the piece that swaps the model — the bundled
transformer and tv2o-medium (float16, random weights) in turn.

Recorded: resident memory (VmRSS) of the performance and of its model worker every minute; as-heard
lateness p50/p99/max (the sender's own figures, the take's final `lateness` event: send time −
intended time); the clock thread's late-note warnings; first-note latency per 10 minutes and per
model; notes lost (human notes sent vs recorded; AI note-ons recorded as sent vs heard on our port);
stuck notes (a heard note-on with no note-off before the end). Writes `docs/soak-*.png` and prints a
markdown table. The default is the full hour; `--minutes` runs shorter (say so when you quote it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from bench.bench_live_faults import stuck_notes  # noqa: E402
from bench.jack import LATENCY as SERVER  # noqa: E402
from bench.jack import running_jack  # noqa: E402
from conductor.rehearse import read_human  # noqa: E402
from conductor.rehearse.summary import percentile  # noqa: E402
from tests.live.harness import Stage, worker_pids  # noqa: E402

PIECE = ROOT / "pieces" / "mark_sat.yaml"
HUMAN = ROOT / "examples" / "mark_human.mid"
MODELS = {
    "bundled": f"checkpoint: {ROOT / 'models' / 'conductor-small'}",
    "tv2o-medium": "config: tv2o-medium",
}


def soak_piece(model: str) -> str:
    """mark_sat with its coda looping back and the model line set to `model` (a key of MODELS)."""
    text = PIECE.read_text()
    text = re.sub(r"^  checkpoint: .*$", "  " + MODELS[model], text, count=1, flags=re.M)
    return text.replace("then: stop", "then: {goto: conversation}")


def save(path: Path, text: str) -> None:
    """An atomic save, as editors do (temp file + rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` in MB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


@dataclass
class Soak:
    """What the run recorded as it went."""

    minutes: float
    press_s: float
    reload_min: float
    rss: list[tuple[float, float, float]] = field(default_factory=list)  # (minute, perform MB, worker MB)
    reloads: list[tuple[float, str]] = field(default_factory=list)  # (seconds, model now)
    human_notes_sent: int = 0

    def play(self, stage: Stage, path: Path) -> None:
        """The musician's loop: human messages, presses, reloads and RSS samples, in time order."""
        human = read_human(HUMAN).messages
        loop_s = human[-1][0] + 2.0
        t0, i, loops, next_press, next_min, next_reload = time.monotonic(), 0, 0, self.press_s, 0.0, 0.0
        model = "bundled"
        while (now := time.monotonic() - t0) < self.minutes * 60:
            t_human = loops * loop_s + human[i][0]
            due = min(t_human, next_press, next_min, next_reload * 60)
            time.sleep(max(0.0, due - now))
            if due == t_human:
                msg = human[i][1]
                stage.keyboard.send(msg)
                self.human_notes_sent += msg.type == "note_on" and msg.velocity > 0
                i, loops = (i + 1, loops) if i + 1 < len(human) else (0, loops + 1)
            elif due == next_press:
                stage.keyboard.send(mido.Message("control_change", control=80, value=127))
                next_press += self.press_s
            elif due == next_min:
                workers = worker_pids(stage.proc.pid)
                self.rss.append((next_min / 60, rss_mb(stage.proc.pid), sum(rss_mb(p) for p in workers)))
                next_min += 60.0
            else:
                if next_reload > 0:
                    model = "tv2o-medium" if model == "bundled" else "bundled"
                    save(path, soak_piece(model))
                self.reloads.append((next_reload * 60, model))
                next_reload += self.reload_min


def first_notes(events: list[dict[str, Any]], reloads: list[tuple[float, str]]) -> dict[str, list[float]]:
    """First-note latencies (ms) by '10-minute block / model'."""
    out: dict[str, list[float]] = {}
    for e in events:
        if e["kind"] == "generation_end" and e["latency"] is not None:
            model = next((m for t, m in reversed(reloads) if t <= e["t"]), "bundled")
            block = int(e["t"] // 600) * 10
            out.setdefault(f"{block}-{block + 10} min, {model}", []).append(e["latency"] * 1000)
    return out


def report(soak: Soak, stage: Stage, out: Path) -> dict[str, Any]:
    """The figures of the run (and the plots under `out`)."""
    events = stage.take_events()
    lateness = next((e for e in reversed(events) if e["kind"] == "lateness"), {})
    recorded_human = sum(1 for e in events if e["kind"] == "human" and _is_note_on(e["bytes"]))
    sent_ai = sum(1 for e in events if e["kind"] == "ai" and _is_note_on(e["bytes"]))
    heard = [m for _, m in stage.heard]
    heard_ai = sum(1 for m in heard if m.type == "note_on" and m.velocity > 0)
    firsts = first_notes(events, soak.reloads)
    after10 = [(m, p + w) for m, p, w in soak.rss if m >= 10] or [(m, p + w) for m, p, w in soak.rss]
    figures = {
        "minutes": soak.minutes,
        "rss_growth_after_10_min_mb": after10[-1][1] - after10[0][1] if after10 else None,
        "rss": soak.rss,
        "lateness_heard_ms": {k: lateness.get(k) for k in ("p50_ms", "p99_ms", "max_ms", "count")},
        "clock_late_warnings": sum(int(e["count"]) for e in events if e["kind"] == "late"),
        "first_note_ms": {k: (percentile(v, 50), percentile(v, 95), len(v)) for k, v in firsts.items()},
        "human_notes_sent": soak.human_notes_sent,
        "human_notes_lost": soak.human_notes_sent - recorded_human,
        "ai_notes_sent": sent_ai,
        "ai_notes_lost": sent_ai - heard_ai,
        "stuck_notes": stuck_notes(heard),
        "reloads": soak.reloads,
        "errors": sum(1 for e in events if e["kind"] == "model_error"),
    }
    plot(soak, firsts, out)
    return figures


def _is_note_on(data: list[int]) -> bool:
    return len(data) == 3 and data[0] & 0xF0 == 0x90 and data[2] > 0


def plot(soak: Soak, firsts: dict[str, list[float]], out: Path) -> None:
    """docs/soak-rss.png (memory by minute) and docs/soak-first-note.png (p50/p95 by block)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    minutes = [m for m, _, _ in soak.rss]
    ax.plot(minutes, [p for _, p, _ in soak.rss], label="perform (engine, clock, ports)")
    ax.plot(minutes, [w for _, _, w in soak.rss], label="model worker")
    for t, _ in soak.reloads[1:]:
        ax.axvline(t / 60, color="grey", lw=0.5)
    ax.set(xlabel="minute", ylabel="RSS (MB)", title=f"Soak: resident memory ({soak.minutes:g} min)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "soak-rss.png", dpi=90)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(firsts)
    ax.bar(range(len(names)), [percentile(firsts[n], 95) for n in names], label="p95", color="#c88")
    ax.bar(range(len(names)), [percentile(firsts[n], 50) for n in names], label="p50", color="#68a")
    ax.set_xticks(range(len(names)), names, rotation=20, fontsize=7, ha="right")
    ax.set(ylabel="first note (ms)", title="Soak: first-note latency by 10 minutes and model")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "soak-first-note.png", dpi=90)
    plt.close("all")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the run (default: an hour)")
    parser.add_argument("--press-s", type=float, default=45.0, help="a footswitch 'next' every N seconds")
    parser.add_argument("--reload-min", type=float, default=3.0, help="swap the model every N minutes")
    parser.add_argument("--plots", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--realtime", action="store_true", help="perform --realtime (clock at SCHED_FIFO)")
    args = parser.parse_args()
    soak = Soak(args.minutes, args.press_s, args.reload_min)
    with tempfile.TemporaryDirectory() as tmp, running_jack(SERVER):
        path = Path(tmp) / "soak.yaml"
        save(path, soak_piece("bundled"))
        extra = ("--realtime",) if args.realtime else ()
        stage = Stage(path, Path(tmp) / "takes", "--seed", "1", *extra)
        try:
            soak.play(stage, path)
            rc = stage.interrupt()
            figures = report(soak, stage, args.plots)
            figures["exit_status"] = rc
        finally:
            stage.close()
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
