"""`conductor rehearse PIECE --human FILE.mid`: play a whole piece against a recorded human.

The engine runs on a virtual clock, as fast as the model allows; the take (`--out`), its piano roll
(`--plot`, default next to the take), a per-section summary (first-note latency p50/p95, notes
dropped as late), a verdict on this machine and the same evaluation table as `conductor evaluate`
come out. Timing (`--timing`): a piece with a transformer is rehearsed honestly by default — the
virtual clock is charged the model's measured compute — a Markov or scripted piece with simulated
model time (`--latency`), where the same `--seed` and inputs give the same take, byte for byte.
Opens nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SIMULATED = "0.02,0.002"  # the simulated model time's default: 20 ms to the first event, 2 ms per event


def register(subparsers: Any) -> None:
    """Add the `rehearse` command."""
    p = subparsers.add_parser("rehearse", help="play a piece against a recorded human (virtual clock)")
    p.add_argument("piece", type=Path, help="the piece (.yaml)")
    p.add_argument(
        "--human",
        type=Path,
        required=True,
        help="a MIDI file (.mid) or a take log (.jsonl), played as the human",
    )
    p.add_argument("--press", default="", help="footswitch 'next' presses at these seconds: 12.5,40")
    p.add_argument(
        "--out",
        type=Path,
        help="the take (.mid); default <piece's recording folder>/<piece>-rehearsal.mid, the folder "
        "`perform` records into (recording.folder, default takes/ next to the piece)",
    )
    p.add_argument(
        "--plot", type=Path, nargs="?", const=None, metavar="PNG",
        help="the piano roll (.png), always drawn; default (also `--plot` alone) next to the take",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed + inputs = same take)")
    p.add_argument(
        "--timing",
        choices=("auto", "measured", "simulated"),
        default="auto",
        help="model time: measured (the model's real compute moves the virtual clock: what this "
        "machine would play late), simulated (--latency; byte-exact takes) or auto (default: "
        "measured when a section uses a transformer, simulated for Markov and scripted models)",
    )
    p.add_argument(
        "--slower",
        type=float,
        default=1.0,
        help="measured timing: charge the model FACTOR times its measured compute, for a stage machine "
        "that is slower or busier than this one (default 1)",
    )
    p.add_argument(
        "--latency",
        help=f"simulated model time in seconds: FIRST[,PER_EVENT] (default {SIMULATED}); implies "
        "--timing simulated",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Rehearse; 1 for an input a musician can fix (piece, file, model), 0 otherwise."""
    from rich.console import Console

    console = Console() if sys.stdout.isatty() else Console(width=200)  # pipes and logs: wide rows
    try:
        piece, human, latency, models = _prepare(args)
    except _Unusable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from conductor.engine.timing import Measured
    from conductor.evaluate import evaluate_file, evaluation_table
    from conductor.rehearse.pianoroll import plot_take
    from conductor.rehearse.rehearsal import rehearse
    from conductor.rehearse.summary import first_note_latencies, summary_table, timing_line, verdict

    for line in advice(piece, human, args.human):
        print(f"warning: {line}", file=sys.stderr)
    print(timing_line(latency))
    result = rehearse(piece, human, models, seed=args.seed, latency=latency)
    out = args.out or piece.takes_folder() / f"{args.piece.stem}-rehearsal.mid"
    plot = args.plot or out.with_suffix(".png")
    result.take.write(piece, out)
    plot_take(result.take, plot, piece.title)
    stats, measured = list(result.engine.stats.values()), isinstance(latency, Measured)
    title = f"{piece.title}: {result.end:.1f} s"
    console.print(summary_table(stats, title, first_note_latencies(result.take), measured))
    print(verdict(stats, measured))
    console.print(evaluation_table(evaluate_file(out, piece)))  # the same as `conductor evaluate`
    print(f"take: {out}")
    print(f"plot: {plot}")
    for path in models.save_learnt(out):
        print(f"learnt model: {path} (continue with markov: {{state: {path}}})")
    return 0


def advice(piece: Any, human: Any, path: Path) -> list[str]:
    """Warnings before a rehearsal: what the reader skipped, a human part with no notes, and sections
    that wait for the footswitch when nothing will press it."""
    from conductor.engine.controls import matching_action

    lines = list(human.warnings)
    if not any(m.type == "note_on" and m.velocity > 0 for _, m in human.messages):
        lines.append(f"{path} has no notes: the AI will hear nothing from the human")
    last_cc: dict[tuple[int, int], int] = {}
    pressed = human.presses or any(matching_action(piece.actions, m, last_cc)[0] for _, m in human.messages)
    if not pressed:
        for section in (s for s in piece.sections if s.length is None):
            where = f"{piece.path or 'the piece'}" + (f", line {section.line}" if section.line else "")
            lines.append(
                f"{where}: section '{section.name}' waits for the footswitch and nothing presses it: it "
                "lasts until the human part ends (give --press SECONDS, or a `next` marker in the MIDI file)"
            )
    return lines


def timing_for(piece: Any, mode: str, latency: str | None, slower: float = 1.0) -> Any:
    """`Measured(scale=slower)` or a simulated `Latency` for `--timing MODE`, `--latency TEXT` and
    `--slower FACTOR` (see `register`)."""
    from conductor.engine.timing import Latency, Measured

    if mode == "measured" and latency is not None:
        raise ValueError("--latency sets simulated model time: leave it out with --timing measured")
    if not 0 < slower < 1000:
        raise ValueError(f"--slower must be a factor above 0 (2 = twice the measured compute), got {slower}")
    transformer = any(not s.silent and s.model.kind == "skytnt" for s in piece.sections)
    if mode == "measured" or (mode == "auto" and latency is None and transformer):
        return Measured(scale=slower)
    if slower != 1.0:
        raise ValueError("--slower scales measured model time: add --timing measured, or drop --latency")
    return Latency.parse(latency or SIMULATED)


class _Unusable(Exception):
    """An input the musician has to fix."""


def _prepare(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from conductor.backends.base import ModelError
    from conductor.piece import PieceErrors
    from conductor.piece.parser import shared_parser
    from conductor.rehearse.human import parse_presses, read_human

    try:
        piece = shared_parser().load(args.piece)  # the parser process (in this one if none can start)
        human = read_human(args.human).with_presses(parse_presses(args.press))
        latency = timing_for(piece, args.timing, args.latency, args.slower)
    except (PieceErrors, ValueError) as exc:
        raise _Unusable(str(exc)) from exc
    except OSError as exc:  # the piece (the human file's reader raises InputFileError, a ValueError)
        raise _Unusable(f"cannot read {exc.filename or args.piece}: {exc.strerror or exc}") from exc
    try:
        models = _Models(piece, args.piece.parent)
    except ModelError as exc:
        raise _Unusable(f"model: {exc}") from exc
    return piece, human, latency, models


class _Models:
    """Every distinct model of the piece, built up front (so errors show at once), by spec."""

    def __init__(self, piece: Any, base_dir: Path) -> None:
        from conductor.backends.factory import build_model
        from conductor.engine.runner import model_key

        self._key, self._build, self._base = model_key, build_model, base_dir
        self.built: dict[Any, Any] = {}
        for section in piece.sections:
            if not section.silent and model_key(section.model) not in self.built:
                self.built[model_key(section.model)] = build_model(section.model, base_dir)

    def __call__(self, spec: Any) -> Any:
        return self.built.get(self._key(spec)) or self._build(spec, self._base)

    def save_learnt(self, take: Path) -> list[Path]:
        """Save every model that learns (Markov) next to the take: `markov: {state: PATH}` goes on."""
        from conductor.backends.markov.backend import MarkovModel

        learners = [m for m in self.built.values() if isinstance(m, MarkovModel)]
        paths = []
        for i, model in enumerate(learners):
            suffix = ".markov.json" if len(learners) == 1 else f".markov{i + 1}.json"
            paths.append(take.with_suffix(suffix).resolve())
            model.save(paths[-1])
        return paths
