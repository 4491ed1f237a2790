"""Shared helpers of the rehearsal tests: run a YAML piece against a human part, check takes."""

from __future__ import annotations

from pathlib import Path

import mido

from conductor.backends.factory import build_model
from conductor.core.events import Note, Source
from conductor.engine.timing import Latency
from conductor.piece import load_piece_text
from conductor.piece.compiled import ModelSpec, Piece
from conductor.rehearse import HumanInput, Press, Rehearsal, read_human, rehearse

ROOT = Path(__file__).resolve().parents[2]
MARK = ROOT / "examples" / "mark_human.mid"


def load(text: str) -> Piece:
    return load_piece_text(text)


def human(seconds: float | None = None) -> HumanInput:
    """The bundled human part (G major, 96 bpm), optionally cut to its first `seconds`."""
    part = read_human(MARK)
    if seconds is None:
        return part
    return HumanInput(tuple((t, m) for t, m in part.messages if t < seconds), part.presses)


def run(piece: Piece, part: HumanInput, presses: tuple[Press, ...] = (), seed: int = 0) -> Rehearsal:
    def models(spec: ModelSpec):  # type: ignore[no-untyped-def]
        return build_model(spec, None)

    return rehearse(piece, part.with_presses(list(presses)), models, seed=seed, latency=Latency(0.02, 0.002))


def balanced(messages: list[tuple[float, mido.Message]]) -> bool:
    """Every note-on closed by a later note-off; never two same-pitch notes at once on one channel."""
    sounding: set[tuple[int, int]] = set()
    for _, msg in messages:
        if msg.type not in ("note_on", "note_off"):
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            if key in sounding:
                return False
            sounding.add(key)
        else:
            sounding.discard(key)
    return not sounding


def ai_notes(result: Rehearsal) -> list[Note]:
    return result.take.notes(Source.AI)
