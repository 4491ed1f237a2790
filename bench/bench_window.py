"""First-note latency of tv2o-medium (float16, random weights) live, as its listening window slides.

For each window of W events (256, 1024, 4096 by default) a generated piece listens to
`max_events: W` over enough bars to hold them (W/32 bars, at least 8), triggers every bar, and
changes section every 8 bars; a synthetic human (this process) plays dense material — a triad on
every beat, a sixteenth-note line and an eighth-note bass, ~18 notes a second — and modulates every
16 bars (C, G, E flat, A, ...), so the window slides every bar, the detected key changes the token
prefix and section changes restart phrases. `conductor perform --virtual --midi-api jack` runs it on a
private JACK server (`bench.jack`); the take log gives each generation's context size
(`generation` events) and first-note latency (`generation_end`). Prints a markdown table: p50/p95/max
first note over the run and over the generations whose context was at least 90 % of W (the window
full), and notes dropped as late, against a baseline measured in the same run: the model's own
first note once the window is heard (no engine, no worker, nothing new to prefill). The issue asks
10 minutes per window; `--minutes` (default 10).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from bench.jack import LATENCY as SERVER  # noqa: E402
from bench.jack import running_jack  # noqa: E402
from conductor.backends.base import Constraints, GenerationRequest  # noqa: E402
from conductor.backends.factory import build_model  # noqa: E402
from conductor.core.events import Note, Source  # noqa: E402
from conductor.core.timebase import Timebase, bar_origin  # noqa: E402
from conductor.engine.take_events import GenerationEnded, GenerationStarted  # noqa: E402
from conductor.engine.timing import Measured  # noqa: E402
from conductor.piece import load_piece_text  # noqa: E402
from conductor.rehearse import HumanInput, rehearse  # noqa: E402
from conductor.rehearse.summary import percentile  # noqa: E402
from tests.live.harness import Stage  # noqa: E402

BEAT = 0.5  # 120 bpm
KEYS = (0, 7, 3, 9, 5, 10, 2, 8)  # tonics, one every 16 bars
MAJOR = (0, 2, 4, 5, 7, 9, 11)
PIECE = """title: Window {w}
tempo: 120
meter: 4/4
changes_on: bar
model: {{kind: skytnt, config: tv2o-medium, dtype: float16, sampling: {{top_p: 0.95, top_k: 20, seed: 3}}}}
midi: {{ai_channel: 2}}
defaults:
  listen: {{window: {bars} bars, max_events: {w}}}
  cadence: {{every: 1 bars}}
  output: {{events: 16, horizon: 1 bars}}
sections:
  - {{name: a, mode: duet, length: 8 bars}}
  - {{name: b, mode: duet, length: 8 bars, then: {{goto: a}}}}
"""


def human(seconds: float, seed: int = 5) -> Iterator[tuple[float, mido.Message]]:
    """Time-ordered (t, message): triads on the beat, a sixteenth line, an eighth bass; key per 16 bars."""
    rng, events = random.Random(seed), []
    degree = 0
    for beat in range(int(seconds / BEAT)):
        key, t = KEYS[beat // 64 % len(KEYS)], beat * BEAT
        tonic = 60 + key - (12 if key > 6 else 0)
        root = rng.choice((0, 3, 4, 5))  # I, IV, V, vi
        chord = [tonic - 12 + MAJOR[(root + k) % 7] + 12 * ((root + k) // 7) for k in (0, 2, 4)]
        events += [(t, p, 0.45, 70) for p in chord]
        events += [(t + h * BEAT / 2, tonic - 24 + MAJOR[root], 0.2, 75) for h in (0, 1)]
        for s in range(4):
            degree = max(0, min(13, degree + rng.choice((-2, -1, 1, 1, 2))))
            pitch = tonic + 12 + MAJOR[degree % 7] + 12 * (degree // 7) - 12
            events.append((t + s * BEAT / 4, pitch, 0.1, 85))
    messages = []
    for t, pitch, length, velocity in events:
        messages.append((t, mido.Message("note_on", note=pitch, velocity=velocity)))
        messages.append((t + length, mido.Message("note_off", note=pitch)))
    yield from sorted(messages, key=lambda x: (x[0], x[1].type == "note_on"))


def run(window: int, minutes: float, tmp: Path) -> list[dict[str, Any]]:
    """One live run; the take log's events."""
    path = tmp / f"window{window}.yaml"
    path.write_text(PIECE.format(w=window, bars=max(8, window // 32)))
    stage = Stage(path, tmp / f"takes{window}", "--seed", "1")
    try:
        t0 = time.monotonic()
        for t, msg in human(minutes * 60):
            time.sleep(max(0.0, t0 + t - time.monotonic()))
            stage.keyboard.send(msg)
        stage.interrupt()
        return stage.take_events()
    finally:
        stage.close()


def rehearsed(window: int, minutes: float) -> list[dict[str, Any]]:
    """The same piece and human in an honest rehearsal (first notes charged the decoding thread's CPU
    time: the warm path's own cost, whatever else the machine runs); its take events as log lines."""
    piece = load_piece_text(PIECE.format(w=window, bars=max(8, window // 32)))
    model = build_model(piece.sections[0].model)
    part = HumanInput(tuple(human(minutes * 60)))
    take = rehearse(piece, part, lambda spec: model, seed=1, latency=Measured()).take
    return [
        {"kind": e.kind, **asdict(e)}
        for _, e in take.events
        if isinstance(e, (GenerationStarted, GenerationEnded))
    ]


def floor(window: int, repeats: int = 9) -> float:
    """The baseline, measured in the same run: the model's own first note (ms, median of `repeats`)
    once a W-event window has been heard — the same model and human, no engine, no worker, nothing
    new to prefill: the floor a live first note can reach on this machine."""
    piece = load_piece_text(PIECE.format(w=window, bars=max(8, window // 32)))
    model = build_model(piece.sections[0].model)
    heard = played(human(window / 18 + 8))[-window:]
    tb = Timebase(120.0, 4, 4)
    end = heard[-1].end
    origin, ai = bar_origin(heard[0].onset, tb), Constraints(channels=frozenset({2}))
    request = GenerationRequest(
        context=tuple(heard), origin=origin, start=end, until=end + 2.0, timebase=tb, max_events=16,
        sampling=piece.sections[0].model.sampling, constraints=ai,
    )  # fmt: skip
    list(model.generate(request))  # hears the window
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        stream = model.generate(request)
        next(stream, None)
        times.append((time.perf_counter() - t0) * 1000)
        getattr(stream, "close", lambda: None)()
    model.close()
    return percentile(times, 50)


def played(messages: Iterator[tuple[float, mido.Message]]) -> list[Note]:
    """The human's notes (onset, duration) from its messages."""
    down: dict[int, tuple[float, int]] = {}
    notes = []
    for t, msg in messages:
        if msg.type == "note_on" and msg.velocity > 0:
            down[msg.note] = (t, msg.velocity)
        elif msg.note in down:
            onset, velocity = down.pop(msg.note)
            notes.append(Note(onset, t - onset, msg.note, velocity, 0, Source.HUMAN))
    return sorted(notes, key=lambda n: n.onset)


def figures(window: int, events: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95/max first note (ms) overall and with the window full; context sizes; late notes."""
    context = {e["generation"]: e["context"] for e in events if e["kind"] == "generation"}
    ends = [e for e in events if e["kind"] == "generation_end"]
    every = [e["latency"] * 1000 for e in ends if e["latency"] is not None]
    full = [
        e["latency"] * 1000
        for e in ends
        if e["latency"] is not None and context.get(e["generation"], 0) >= 0.9 * window
    ]

    def stats(values: list[float]) -> list[float]:
        return [round(percentile(values, q), 1) for q in (50, 95, 100)] + [len(values)]

    return {
        "window": window,
        "all": stats(every),
        "full": stats(full),
        "context_median": percentile(list(context.values()), 50),
        "context_max": max(context.values(), default=0),
        "late": sum(int(e["dropped_late"]) for e in ends),
        "notes_out": sum(int(e["scheduled"]) for e in ends),
        "errors": sum(1 for e in events if e["kind"] == "model_error"),
    }


def table(rows: list[dict[str, Any]], minutes: float) -> str:
    lines = [
        f"| window (events) | first note p50 / p95 / max ms (gens), {minutes:g} min | window full: "
        "p50 / p95 / max (gens) | context median / max | notes dropped late / scheduled | errors "
        "| baseline: the model's own first note, ms | live p50 / baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [_first(r["all"]), _first(r["full"]), f"{r['context_median']:.0f} / {r['context_max']}"]
        cells += [f"{r['late']} / {r['notes_out']}", str(r["errors"])]
        cells += [f"{r.get('floor', 0):.0f}", f"{r['all'][0] / r['floor']:.1f}×" if r.get("floor") else "–"]
        lines.append(f"| {r['window']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _first(values: list[float]) -> str:
    return f"{values[0]:.0f} / {values[1]:.0f} / {values[2]:.0f} ({values[3]:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of each run (the issue: 10)")
    parser.add_argument("--windows", default="256,1024,4096", help="window sizes in events")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--rehearse", action="store_true", help="an honest rehearsal instead of live")
    args = parser.parse_args()
    rows = []
    if args.rehearse:
        for window in (int(w) for w in args.windows.split(",")):
            rows.append(figures(window, rehearsed(window, args.minutes)))
            print(json.dumps(rows[-1]), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for window in (int(w) for w in args.windows.split(",") if not args.rehearse):
            base = floor(window)  # before the live run, alone on the machine
            with running_jack(SERVER):  # a fresh server per run, as the live tests do
                rows.append({**figures(window, run(window, args.minutes, Path(tmp))), "floor": base})
            print(json.dumps(rows[-1]), flush=True)
    print(table(rows, args.minutes))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
