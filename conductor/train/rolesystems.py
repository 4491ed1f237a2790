"""The systems a role evaluation compares, each answering a `Case` with the AI's notes (in beats).

- `RoleFormatModel`: a model that reads the role format — the prompt made by `role_score` and
  `role_rows`, as the live backend will make it; decoding masked to the AI's channel and the span's
  onsets only (no key, no pitch-class, no range mask);
- `backend_answer`: any live `Model` (the SkyTNT backend with a plain checkpoint, Markov) handed the
  case as a `GenerationRequest`, the human on channel 0 and its own notes on channel 1;
- `random_answer`: random pitches in the written part's range (the player's, for a player's file) at
  random sixteenths, as many notes as the written part (or the player's density).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from conductor.backends.base import Constraints, GenerationRequest, Model
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.masks import from_constraints
from conductor.backends.skytnt.roles import (
    KEY_AS_PLAYED,
    KEY_COMMON,
    TICKS_PER_BEAT,
    common_shift,
    role_rows,
    role_score,
)
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.train.augment import estimate_key
from conductor.train.evaluate import rows_to_notes
from conductor.train.metrics import NoteEvent
from conductor.train.rolecases import Case, beats

SAMPLING = Sampling(temperature=1.0, top_p=0.95, top_k=20)  # the bundled piece's settings
EVENTS_PER_BEAT = 8  # a cap on notes per beat of span


def span_16ths(case: Case) -> tuple[int, int]:
    """The span's onsets in 16ths from the origin, inclusive."""
    return case.cut * 16 // TICKS_PER_BEAT, -(-case.end * 16 // TICKS_PER_BEAT) - 1


def max_events(case: Case) -> int:
    """The most notes one answer may hold."""
    return EVENTS_PER_BEAT * max(1, (case.end - case.cut) // TICKS_PER_BEAT)


class RoleFormatModel:
    """A role-format model decoding on its own channel. Not thread-safe."""

    def __init__(
        self, model: Any, dtype: str = "float16", sampling: Sampling = SAMPLING, key: str = KEY_AS_PLAYED
    ) -> None:
        self.decoder = Decoder(model, dtype=dtype)
        self.tok = self.decoder.tokenizer
        self.sampling = sampling
        self.common_key = key == KEY_COMMON

    def answer(self, case: Case, seed: int) -> list[NoteEvent]:
        """The AI's notes in the span, decoded after the case's prompt (moved back from C major /
        A minor for a `KEY_COMMON` model)."""
        shift = human_shift(case) if self.common_key else 0
        rs = role_score(case.human_prompt(), case.ai_prompt, case.role, case.meter, shift)
        rows = role_rows(self.tok, rs)
        only_ai = Constraints(channels=frozenset({rs.ai_channel}))
        mask = from_constraints(self.tok, only_ai, span_16ths(case), self.decoder.device, rows)
        stream = self.decoder.stream(rows, mask, self.sampling, make_generator(seed), max_events(case))
        for _ in stream:
            pass
        decoded = np.asarray(self.decoder.rows, dtype=np.int64)
        end = case.end / TICKS_PER_BEAT
        return [
            replace(n, pitch=n.pitch - shift)
            for r, n in rows_to_notes(decoded, self.tok)
            if r >= len(rows) and n.channel == rs.ai_channel and n.onset < end and 0 <= n.pitch - shift <= 127
        ]


def human_shift(case: Case) -> int:
    """`common_shift` of the key of the human's prompt (what the live engine's key tracker hears)."""
    tonic, mode = estimate_key(np.array([n.pitch for n in case.human_prompt()], dtype=np.int64))
    return common_shift(tonic, mode == "minor")


def timebase(case: Case) -> Timebase:
    """A quarter-note timebase for the case (bars of the case's length)."""
    m = case.meter
    quarters = max(1, round(m.beats_per_bar * 4 / m.beat_unit))
    return Timebase(60_000_000 / m.tempo_us, quarters, 4)


def backend_answer(model: Model, case: Case, seed: int, sampling: Sampling = SAMPLING) -> list[NoteEvent]:
    """A live model's answer: it hears the prompt (human on channel 0, itself on 1) and plays the span."""
    from conductor.piece.compiled import SamplingSpec

    tb = timebase(case)
    spb = tb.seconds_per_beat

    def notes(part: Any, channel: int, source: Source) -> list[Note]:
        return [
            Note(
                n.start / TICKS_PER_BEAT * spb,
                n.duration / TICKS_PER_BEAT * spb,
                n.pitch,
                n.velocity,
                channel,
                source,
            )
            for n in part
        ]

    heard = sorted(
        notes(case.human_prompt(), 0, Source.HUMAN) + notes(case.ai_prompt, 1, Source.AI),
        key=lambda n: n.onset,
    )
    model.observe(heard)
    start, until = case.cut / TICKS_PER_BEAT * spb, (case.end / TICKS_PER_BEAT - 1 / 32) * spb
    spec = SamplingSpec(sampling.temperature, sampling.top_p, sampling.top_k, seed)
    request = GenerationRequest(
        tuple(heard), 0.0, start, until, tb, max_events(case), spec, Constraints(channels=frozenset({1}))
    )
    out = list(model.generate(request))
    return [NoteEvent(n.onset / spb, n.pitch, n.duration / spb, n.velocity, 1) for n in out]


def random_answer(case: Case, seed: int) -> list[NoteEvent]:
    """Random notes in the written part's range (or the player's), as many as it has."""
    rng = np.random.default_rng(seed)
    source = case.reference or case.human
    lo, hi = min(n.pitch for n in source), max(n.pitch for n in source)
    if case.reference:
        count = len(case.reference)
    else:
        count = round(len(case.human_prompt()) * (case.end - case.cut) / max(1, case.cut))
    first, last = span_16ths(case)
    onsets = np.sort(rng.integers(first, last + 1, size=max(1, count)))
    pitches = rng.integers(lo, hi + 1, size=len(onsets))
    return [NoteEvent(int(o) / 16, int(p), 0.25, 80, 1) for o, p in zip(onsets, pitches, strict=True)]


def reference_answer(case: Case) -> list[NoteEvent]:
    """The AI part as written (held-out works only)."""
    return beats(case.reference, channel=1)
