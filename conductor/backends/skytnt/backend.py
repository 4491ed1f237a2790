"""`SkyTNTModel`: the `Model` protocol over a SkyTNT checkpoint and the fast `Decoder`.

Context notes → score (`to_score`, ticks from the request's bar-aligned origin) → token rows →
decoding under the request's constraints (channels, pitch range, key or chord tones, an onset window
[start, until] in 16ths, and the decode-time roles of `conductor.backends.shaping`: onset groups, a
line, a note budget, no re-strike of a sounding pitch — all as sampling masks) → rows → `Note`s on
the clock.

The cache stays useful across generations: what the model has heard (`listening.py`) is an anchor
context that each request's window extends, prefilled as notes are heard and rebuilt in the
background as the window slides. With `draft` (e.g. "online"), decoding is speculative
(`speculative.py`): the same distribution, drafted events verified in one pass.

A model trained on conductor's role format (its config.json says so: `roles.read_format`) gets its
context as training made it (`rolecontext.py`): the human's part on channel 0, its own on channel 1
with the patches of the section's role, both moved to C major / A minor for a common-key model; it
decodes channel 1 only and its answer is moved back and played on the request's channel. Not
thread-safe (live: one worker process owns it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from conductor.backends.answers import answer_bias
from conductor.backends.base import Constraints, GenerationRequest, ModelError
from conductor.backends.shaping import Played, Shape, line, sounding_at
from conductor.backends.skytnt.answerbias import DecoderBias
from conductor.backends.skytnt.draft import make_draft
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.listening import TPB, Listening
from conductor.backends.skytnt.loading import load_model
from conductor.backends.skytnt.masks import TIME_STEPS, from_constraints
from conductor.backends.skytnt.model import MIDIModel
from conductor.backends.skytnt.rolecontext import frame_constraints
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.backends.skytnt.score import score_note_to_note
from conductor.backends.skytnt.speculative import SpeculativeDecoder
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import ModelSpec, SamplingSpec

log = logging.getLogger(__name__)


class SkyTNTModel:
    """A SkyTNT model that streams notes and keeps its context cache between generations."""

    pausable = True  # observe takes a `pause` (base.observe_until)

    def __init__(
        self,
        model: MIDIModel,
        dtype: str = "float32",
        device: str = "cpu",
        max_context: int = 768,
        draft: str | None = None,
        role_key: str | None = None,
    ) -> None:
        """`role_key`: None for a SkyTNT checkpoint; for a role-format model, how it reads the key
        (`roles.KEY_AS_PLAYED` or `roles.KEY_COMMON`)."""
        try:
            self.decoder = Decoder(model, dtype=dtype, device=device)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot run the model with dtype {dtype} on {device}: {exc}") from exc
        self.speculative = _speculative(self.decoder, draft)
        self._source: Decoder | SpeculativeDecoder = self.speculative or self.decoder
        self.tokenizer = self.decoder.tokenizer
        self.role_key = role_key
        self.context = Listening(self._source, self.decoder, max_context, role_key)

    @classmethod
    def from_spec(cls, spec: ModelSpec, base_dir: Path | None = None) -> SkyTNTModel:
        """Load `spec.checkpoint` (relative to `base_dir`) or build a random `spec.config` model; merge
        the LoRA adapter `spec.lora` (relative to `base_dir`) into it if the spec names one."""
        model, role_key = load_model(spec, base_dir)
        return cls(model, dtype=spec.dtype, device=spec.device, role_key=role_key)

    # ---- Model protocol ------------------------------------------------------------------------

    def observe(self, notes: Sequence[Note], pause: Callable[[], bool] | None = None) -> None:
        """Hear notes (`Listening.observe`); with `pause` (`base.observe_until`) the prefill stops as
        soon as `pause()` is true."""
        self.context.observe(notes, pause)

    def work(self, pause: Callable[[], bool]) -> bool:
        """Background work between requests (`Listening.work`); True while some remains."""
        return self.context.work(pause)

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        """Stream notes starting in [request.start, request.until], at most `request.max_events`."""
        self.context.ready(request)
        tb, origin = request.timebase, self.context.origin
        assert origin is not None
        window = (self._sixteenths(request.start, ceil=True), self._sixteenths(request.until, ceil=False))
        decoded = self._decoded(request)
        if request.constraints.monophonic:  # a line: one part of its own
            decoded = replace(decoded, channels=frozenset(self.context.voices[-1:]))
        played = self._played(request)
        mask = from_constraints(
            self.tokenizer, decoded, window, self.decoder.device, self.decoder.rows, played
        )
        gen = make_generator(request.sampling.seed, "cpu")
        channel = min(request.constraints.channels, default=0)
        bias = self._answer_bias(request)
        source = self._source if bias is None else self.decoder  # a bias decodes on the plain path
        self.context.streaming, self.decoder.bias = True, bias
        try:
            for row in source.stream(None, mask, _sampling(request.sampling), gen, request.max_events):
                if bias is not None:
                    bias.played(row)
                note = self._to_note(row, origin, tb)
                if note is not None and request.start - 1e-6 <= note.onset <= request.until + 1e-6:
                    yield note.with_(channel=channel)
        finally:
            self.context.streaming, self.decoder.bias = False, None

    def close(self) -> None:
        """Drop the cached context."""
        self.context.close()

    # ---- decoding ------------------------------------------------------------------------------

    def _answer_bias(self, request: GenerationRequest) -> DecoderBias | None:
        """The request's answer strategy over its turn as logits (None: `free`, or nothing heard)."""
        assert self.context.origin is not None and self.context.tb is not None
        scale = request.key.pitch_classes if request.key is not None else request.constraints.pitch_classes
        bias = answer_bias(request.answer, request.turn, self.context.origin, self.context.tb, scale)
        shift = self.context.frame.shift if self.role_key is not None else 0
        return None if bias is None else DecoderBias(bias, self.decoder, shift)

    def _decoded(self, request: GenerationRequest) -> Constraints:
        """The constraints the model decodes under: its own channels (a role model's, in its frame)."""
        if self.role_key is not None:
            return frame_constraints(request.constraints, self.context.frame)
        return replace(request.constraints, channels=frozenset(self.context.voices))

    def _played(self, request: GenerationRequest) -> Played:
        """The roles of `request` in 16ths from the origin, the AI's notes still sounding at its start
        counted as played (so none is struck again while it sounds); a role model's in its frame."""
        assert self.context.origin is not None and self.context.tb is not None
        shift = self.context.frame.shift if self.role_key is not None else 0
        mine = [n.with_(pitch=n.pitch + shift) for n in self.context.notes if n.source is Source.AI]
        start = self._sixteenths(request.start, ceil=True)
        ai = [
            (
                self.context.tb.beats(n.onset - self.context.origin) * TIME_STEPS,
                self.context.tb.beats(n.end - self.context.origin) * TIME_STEPS,
                n.pitch,
            )
            for n in mine
        ]
        per_second = TIME_STEPS / self.context.tb.seconds_per_beat
        span = (request.until - request.start) * per_second
        shape = Shape.of(request.constraints, per_second, request.max_events, span)
        before = line([n for n in mine if n.onset < request.start])
        return Played.start(shape, sounding_at(ai, start), start, before)

    def _sixteenths(self, t: float, ceil: bool) -> int:
        assert self.context.origin is not None and self.context.tb is not None
        value = self.context.tb.beats(t - self.context.origin) * TIME_STEPS
        return math.ceil(value - 1e-6) if ceil else math.floor(value + 1e-6)

    def _to_note(self, row: Row, origin: float, tb: Timebase) -> Note | None:
        event = self.tokenizer.tokens2event(list(row))
        if event is None or event[0] != "note":
            return None
        values = dict(zip(self.tokenizer.events["note"], event[1:], strict=True))
        tick = (self.decoder.last_beat * TIME_STEPS + values["time2"]) * TPB // TIME_STEPS
        duration = values["duration"] * TPB // TIME_STEPS
        pitch = self.context.frame.back(values["pitch"]) if self.role_key is not None else values["pitch"]
        if pitch is None:
            return None
        score_event = ["note", tick, duration, values["channel"], pitch, values["velocity"]]
        return score_note_to_note(score_event, origin, tb, TPB, Source.AI)


def _speculative(decoder: Decoder, draft: str | None) -> SpeculativeDecoder | None:
    """Speculative decoding with the named draft (None: the normal path)."""
    if draft is None:
        return None
    try:
        return SpeculativeDecoder(decoder, make_draft(draft, decoder))
    except ValueError as exc:
        raise ModelError(f"model draft: {exc}") from exc


def _sampling(spec: SamplingSpec) -> Sampling:
    return Sampling(temperature=spec.temperature, top_p=spec.top_p, top_k=spec.top_k)
