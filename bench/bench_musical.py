"""Musical quality: every mode × backend × bundled human, measured with `conductor evaluate`'s metrics.

For each bundled human (examples/mark_human.mid, swung_blues.mid, rubato_mazurka.mid) and each
answering mode (duet, ai_chords, ai_solo, trading; `listen` is silent; and ai_solo with the ai_solo
example's `phrase_end: 2 beats` cadence, with and without its fallback), a one-section piece at the
human's tempo and meter with the mode's defaults, as long as the human (whole 4-bar turns), is
rehearsed with each system (the key filter on, the mode's default, unless said), seeds fixed:

- markov: the Markov backend's defaults (order 4), learning only the player, as pieces/modes/*.yaml;
- markov + bach: the same seeded from the Bach chorales (weight 0.3), as pieces/modes/ai_chords.yaml
  and the alternative in pieces/mark_sat.yaml (chords to comp with before the player gives any);
- transformer: the bundled models/conductor-roles (float16, as pieces/mark_sat.yaml);
- transformer, key off: the same with `key: off`;

and two baselines are evaluated with the same metrics on the same human, in the same run:
- random: as many AI notes as the human played in the section, onsets uniform over the section (in
  trading, over the AI's turns), pitches uniform in the mode's range filter (duet has none: the
  human's own range), lengths uniform in 1/4..1 beat (seeded);
- echo: the human itself, one bar later (in trading one turn later, so it answers in the AI's turn).

Prints a summary (each mode × system, averaged over the humans, as the targets are) and the full
table, as markdown, plus the wall time. `python bench/bench_musical.py [NAME ...]` runs only the
humans or modes named (e.g. `swung trading`); `--json PATH` writes every number. `--systems
markov,transformer` runs only those systems; `--role PATH` adds another model (e.g. the previous
bundled one, float16, the bundled sampling, key filter on and off) as the systems `FOLDER` and
`FOLDER, key off`; `--answer develop|sequence|contrast|free` sets every
section's answer strategy (default: each mode's own).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conductor.backends.base import Model  # noqa: E402
from conductor.backends.factory import build_model  # noqa: E402
from conductor.backends.markov.backend import MarkovModel  # noqa: E402
from conductor.backends.markov.seeding import seed_table  # noqa: E402
from conductor.core.events import Note, Source  # noqa: E402
from conductor.evaluate import SectionResult, TakeNotes, evaluate, take_from_bytes  # noqa: E402
from conductor.evaluate.sections import plan_sections  # noqa: E402
from conductor.piece import load_piece_text  # noqa: E402
from conductor.piece.compiled import ModelSpec, Piece, RangeFilter  # noqa: E402
from conductor.rehearse import HumanInput, read_human, rehearse  # noqa: E402

HUMANS = {
    "mark": ROOT / "examples" / "mark_human.mid",
    "swung": ROOT / "examples" / "swung_blues.mid",
    "rubato": ROOT / "examples" / "rubato_mazurka.mid",
}
MODES = ("duet", "ai_chords", "ai_solo", "trading", "ai_solo:phrase_end", "ai_solo:phrase_end:off")
# variants: (the mode, settings added to its section): the ai_solo example's cadence, with and without
# the fallback to the bar grid (issue 12)
VARIANTS = {
    "ai_solo:phrase_end": ("ai_solo", "cadence: {phrase_end: 2 beats}"),
    "ai_solo:phrase_end:off": ("ai_solo", "cadence: {phrase_end: 2 beats, fallback: off}"),
}
MARKOV = "{kind: markov, sampling: {seed: 7}}"
MARKOV_BACH = '{kind: markov, markov: {seed: ["corpus:bach"], seed_weight: 0.3}, sampling: {seed: 7}}'
BUNDLED = ROOT / "models" / "conductor-roles"


def transformer(folder: Path) -> str:
    """The transformer in `folder`, sampled as pieces/mark_sat.yaml samples the bundled one."""
    return (
        f"{{kind: skytnt, checkpoint: {folder.resolve()}, dtype: float16, "
        "sampling: {temperature: 1.0, top_p: 0.95, top_k: 20, seed: 7}}"
    )


TRANSFORMER = transformer(BUNDLED)
SYSTEMS = (
    ("markov", MARKOV, True),
    ("markov + bach", MARKOV_BACH, True),
    ("transformer", TRANSFORMER, True),
    ("transformer, key off", TRANSFORMER, False),
)
SEED = 0
COLUMNS = (
    "in key", "pc cos", "plays", "answer", "sync", "rand", "gain", "run ai", "run hu", "cluster", "0-len",
    "chord", "density",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Human:
    """A bundled human part: its messages, tempo, meter and length in whole 4-bar blocks."""

    name: str
    part: HumanInput
    bpm: float
    meter: tuple[int, int]
    bars: int


def load_human(name: str, path: Path) -> Human:
    midi = mido.MidiFile(path)
    meta = [m for track in midi.tracks for m in track if m.is_meta]
    tempo = next((m.tempo for m in meta if m.type == "set_tempo"), 500_000)
    sig = next(((m.numerator, m.denominator) for m in meta if m.type == "time_signature"), (4, 4))
    part = read_human(path)
    bar = 60 / mido.tempo2bpm(tempo) * sig[0] * 4 / sig[1]
    bars = 4 * math.ceil(part.end / bar / 4 - 1e-6)
    return Human(name, part, round(mido.tempo2bpm(tempo), 3), sig, bars)


def other_systems(path: Path) -> tuple[tuple[str, str, bool], ...]:
    """Another transformer (e.g. the previous bundled model), sampled as the bundled one is, with its
    key filter on and off."""
    model = transformer(path)
    return ((path.name, model, True), (f"{path.name}, key off", model, False))


def bench_piece(mode: str, human: Human, model: str, key_on: bool, answer: str | None = None) -> Piece:
    """One section of `mode` (or a variant) with the mode's defaults, at the human's tempo and meter."""
    mode, extra = VARIANTS.get(mode, (mode, ""))
    filters = ("" if key_on else ", filters: [{key: off}]") + (f", {extra}" if extra else "")
    filters += f", answer: {answer}" if answer else ""
    text = (
        f"title: bench {mode} {human.name}\ntempo: {human.bpm}\nmeter: {human.meter[0]}/{human.meter[1]}\n"
        f"model: {model}\nsections:\n"
        f"  - {{name: {mode}, mode: {mode}, length: {human.bars} bars, then: stop{filters}}}\n"
    )
    return load_piece_text(text, ROOT / "pieces" / "bench.yaml")


class Models:
    """Models built once: a fresh Markov model per rehearsal (it learns) on one shared seed table
    (there is one seed in SYSTEMS);
    the transformer's context cache dropped before each rehearsal."""

    def __init__(self) -> None:
        self._seed: Any = None
        self._transformers: dict[Any, Any] = {}  # by checkpoint

    def fresh(self, spec: ModelSpec) -> Model:
        if spec.kind == "markov":
            if spec.markov.seed and self._seed is None:
                self._seed = seed_table(spec.markov.seed, spec.markov.order, ROOT)
            return MarkovModel(spec.markov, seed_table=self._seed if spec.markov.seed else None)
        if spec.checkpoint not in self._transformers:
            self._transformers[spec.checkpoint] = build_model(spec, ROOT)
        self._transformers[spec.checkpoint].close()
        return self._transformers[spec.checkpoint]  # type: ignore[no-any-return]


def rehearsed(piece: Piece, human: Human, models: Models) -> TakeNotes:
    model = models.fresh(piece.sections[0].model)
    result = rehearse(piece, human.part, lambda _spec: model, seed=SEED)
    return take_from_bytes(result.take.midi_bytes(piece), piece.title)


def random_ai(take: TakeNotes, piece: Piece, rng: random.Random) -> list[Note]:
    """The random baseline's notes (see the module docstring)."""
    plan = plan_sections(take, piece)[0][0]
    spans = plan.ai_turns or [(plan.start, plan.end)]
    ranges = [f for f in piece.sections[0].filters if isinstance(f, RangeFilter)]
    pitches = [n.pitch for n in take.human]
    low, high = (ranges[0].low, ranges[0].high) if ranges else (min(pitches), max(pitches))
    beat = take.timebase.seconds_per_beat
    notes = []
    for _ in range(sum(1 for n in take.human if plan.start <= n.onset < plan.end)):
        lo, hi = rng.choice(spans)
        onset = rng.uniform(lo, hi)
        notes.append(Note(onset, rng.uniform(0.25, 1.0) * beat, rng.randint(low, high), 80, 1, Source.AI))
    return notes


def echo_ai(take: TakeNotes, piece: Piece) -> list[Note]:
    """The echo baseline's notes: the human a bar later (trading: a turn later)."""
    plan = plan_sections(take, piece)[0][0]
    shift = plan.bar * (plan.turn_bars or 1)
    moved = [n.shifted(shift).with_(source=Source.AI, channel=1) for n in take.human]
    return [n for n in moved if plan.start <= n.onset < plan.end]


def metrics(r: SectionResult) -> dict[str, float | None]:
    """The numbers of one result, by column."""
    values = (
        r.in_key.value, r.pc_cosine, r.presence.value, r.answer_overlap.value, r.sync.value,
        r.sync_random.value, r.sync_gain, r.run_ai, r.run_human, r.cluster, r.zero_length,
        r.chord_tones.value, r.density_ratio,
    )  # fmt: skip
    return dict(zip(COLUMNS, values, strict=True))


def run(
    humans: list[Human], modes: list[str], systems: Any = SYSTEMS, answer: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Every system and baseline on every human and mode: rows of results, wall seconds per system."""
    models, rows, walls = Models(), [], {name: 0.0 for name, _, _ in systems}
    for human in humans:
        for mode in modes:
            take: TakeNotes | None = None
            for system, model, key_on in systems:
                piece = bench_piece(mode, human, model, key_on, answer)
                t0 = time.perf_counter()
                take = rehearsed(piece, human, models)
                walls[system] += time.perf_counter() - t0
                rows.append(_row(human, mode, system, take, piece))
                print(f"  {human.name} {mode} {system}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            assert take is not None
            piece = bench_piece(mode, human, MARKOV, True)
            rng = random.Random(f"{human.name}/{mode}")
            rows.append(_row(human, mode, "random", take.with_ai(random_ai(take, piece, rng)), piece))
            rows.append(_row(human, mode, "echo", take.with_ai(echo_ai(take, piece)), piece))
    return rows, walls


def _row(human: Human, mode: str, system: str, take: TakeNotes, piece: Piece) -> dict[str, Any]:
    result = evaluate(take, piece).sections[0]
    return {"human": human.name, "mode": mode, "system": system, "key": result.key, **metrics(result)}


def averaged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each mode × system, every column averaged over the humans (None where no human has it)."""
    out = []
    for mode in dict.fromkeys(r["mode"] for r in rows):
        for system in dict.fromkeys(r["system"] for r in rows):
            group = [r for r in rows if r["mode"] == mode and r["system"] == system]
            out.append({"mode": mode, "system": system, **{c: _mean([r[c] for r in group]) for c in COLUMNS}})
    return out


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def markdown(rows: list[dict[str, Any]], lead: tuple[str, ...]) -> str:
    head = "| " + " | ".join((*lead, *COLUMNS)) + " |"
    rule = "|" + "---|" * len(lead) + "---:|" * len(COLUMNS)
    lines = [head, rule]
    for r in rows:
        cells = [str(r[c]) for c in lead] + [_cell(r[c]) for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _wanted(name: str, names: list[str], group: Any) -> bool:
    """Is `name` asked for? Every one of its group is when no name of the group is given."""
    return name in names or not set(names) & set(group)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these humans and/or modes")
    parser.add_argument("--json", type=Path, help="write every number here")
    parser.add_argument("--systems", help="only these systems, comma-separated (e.g. markov,transformer)")
    parser.add_argument(
        "--role",
        type=Path,
        action="append",
        default=[],
        help="another model folder to compare (e.g. models/conductor-small)",
    )
    parser.add_argument("--answer", choices=("develop", "sequence", "contrast", "free"), help="every section")
    args = parser.parse_args(argv)
    systems = [*SYSTEMS, *(s for p in args.role for s in other_systems(p))]
    if args.systems:
        systems = [
            s
            for s in systems
            if s[0] in args.systems.split(",") or any(s[0].startswith(p.name) for p in args.role)
        ]
    humans = [load_human(n, p) for n, p in HUMANS.items() if _wanted(n, args.names, HUMANS)]
    modes = [m for m in MODES if _wanted(m, args.names, MODES)]
    t0 = time.perf_counter()
    rows, walls = run(humans, modes, systems, args.answer)
    wall = time.perf_counter() - t0
    print("Averaged over the humans:\n\n" + markdown(averaged(rows), ("mode", "system")) + "\n")
    print("Each human:\n\n" + markdown(rows, ("mode", "human", "system")) + "\n")
    spent = ", ".join(f"{name} {s:.0f} s" for name, s in walls.items())
    lengths = ", ".join(f"{h.name} {h.bars} bars" for h in humans)
    print(f"wall time {wall:.0f} s (rehearsals: {spent}); humans: {lengths}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "wall_s": wall}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
