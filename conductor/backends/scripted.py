"""A deterministic scripted model for tests and rehearsals without a trained model.

It plays a fixed pattern from `request.start` to `request.until` (at most `request.max_events`
notes, in onset order), on the first allowed channel, folded into the allowed range. It ignores the
key constraint on purpose: filters run after every backend, and this model lets tests check them.

Patterns (`model: {kind: scripted, config: NAME}`):
- `arpeggio` (default): a chromatic-ish figure on every half beat, notes overlapping (polyphonic);
- `chords`: a three-note chord on every beat plus a single passing note between beats;
- `echo`: the context's notes replayed from the start (the arpeggio if the context is empty);
- `fail:N`: N notes of the arpeggio, then an error (tests model-error handling).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from conductor.backends.base import GenerationRequest, ModelError
from conductor.core.events import Note, Source
from conductor.piece.compiled import ModelSpec

ARPEGGIO = (60, 61, 64, 66, 67, 70, 72, 75)
ROOTS = (48, 53, 55, 50)
PATTERNS = ("arpeggio", "chords", "echo", "fail")


class ScriptedModel:
    """A `Model` that plays a fixed, deterministic pattern (see the module docstring)."""

    def __init__(self, pattern: str = "arpeggio", fail_after: int = 0) -> None:
        if pattern not in PATTERNS:
            raise ModelError(f"unknown scripted pattern {pattern!r}: expected one of {', '.join(PATTERNS)}")
        self.pattern = pattern
        self.fail_after = fail_after
        self.observed = 0  # notes heard through observe()
        self.generations = 0

    @classmethod
    def from_spec(cls, spec: ModelSpec, base_dir: Path | None = None) -> ScriptedModel:
        """`spec.config` names the pattern, `fail:N` fails after N notes."""
        name, _, arg = (spec.config or "arpeggio").partition(":")
        try:
            return cls(name, int(arg) if arg else 0)
        except ValueError as exc:
            raise ModelError(f"scripted config {spec.config!r}: expected NAME or fail:N") from exc

    def observe(self, notes: Sequence[Note]) -> None:
        self.observed += len(notes)

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        """Stream the pattern's notes between request.start and request.until."""
        self.generations += 1
        notes = self._notes(request)
        for count, note in enumerate(notes):
            if count >= request.max_events or note.onset > request.until:
                return
            if self.pattern == "fail" and count >= self.fail_after:
                raise RuntimeError(f"scripted failure after {count} notes")
            yield note

    def close(self) -> None:
        """Nothing to release."""

    def _notes(self, request: GenerationRequest) -> Iterator[Note]:
        beat = request.timebase.seconds_per_beat
        if self.pattern == "chords":
            return self._chords(request, beat)
        if self.pattern == "echo" and request.context:
            return self._echo(request)
        return self._arpeggio(request, beat)

    def _arpeggio(self, request: GenerationRequest, beat: float) -> Iterator[Note]:
        k = 0
        while True:
            pitch = ARPEGGIO[(k + request.generation) % len(ARPEGGIO)]
            yield self._note(request, request.start + k * beat / 2, beat, pitch, 60 + 5 * (k % 8))
            k += 1

    def _chords(self, request: GenerationRequest, beat: float) -> Iterator[Note]:
        k = 0
        while True:
            root = ROOTS[(k + request.generation) % len(ROOTS)]
            onset = request.start + k * beat
            for step in (0, 4, 7):
                yield self._note(request, onset, beat * 0.9, root + step, 70)
            yield self._note(request, onset + beat / 2, beat / 4, root + 14, 50)
            k += 1

    def _echo(self, request: GenerationRequest) -> Iterator[Note]:
        context = request.context
        first = context[0].onset
        period = max(context[-1].end - first, request.timebase.seconds_per_beat)
        k = 0
        while True:
            for note in context:
                onset = request.start + k * period + note.onset - first
                yield self._note(request, onset, note.duration, note.pitch, note.velocity)
            k += 1

    def _note(self, request: GenerationRequest, onset: float, duration: float, pitch: int, vel: int) -> Note:
        c = request.constraints
        while pitch < c.low and pitch + 12 <= 127:
            pitch += 12
        while pitch > c.high and pitch - 12 >= 0:
            pitch -= 12
        return Note(onset, duration, pitch, vel, min(c.channels, default=0), Source.AI)
