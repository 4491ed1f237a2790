"""`SkyTNTModel`: the `Model` protocol over a SkyTNT checkpoint and the fast `Decoder`.

Context notes → score (`to_score`, ticks from the request's bar-aligned origin) → token rows →
decoding under the request's constraints (channels, pitch range, key or chord tones, an onset window
[start, until] in 16ths, and the decode-time roles of `conductor.backends.shaping`: onset groups, a
line, a note budget, no re-strike of a sounding pitch — all as sampling masks) → rows → `Note`s on
the clock.

The cache stays useful across generations: the model keeps an *anchor* context (its origin and the
notes it has seen), and each request's window is merged into it instead of replacing it, so a window
that slides forward still extends the cached token rows and only new events are prefilled. Notes
passed to `observe` are prefilled as they arrive, so a trigger mostly decodes. `max_context` (768 notes,
or twice the longest window asked for, within the model's positions) bounds the anchor: when it grows
past three quarters of that it is rebuilt from the latest window inside `observe`
(between triggers), not at a trigger; only a request that would overflow `max_context` restarts the
anchor at a trigger. With `draft` (e.g. "online"), decoding is speculative (`speculative.py`): the
same distribution, drafted events verified in one pass.

A model trained on conductor's role format (its config.json says so: `roles.read_format`) gets its
context as training made it (`rolecontext.py`): the human's part on channel 0, its own on channel 1
with the patches of the section's role, both moved to C major / A minor for a common-key model; it
decodes channel 1 only and its answer is moved back and played on the request's channel. Not
thread-safe (live: one worker process owns it).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import torch

from conductor.backends.answers import answer_bias
from conductor.backends.base import Constraints, GenerationRequest, ModelError
from conductor.backends.shaping import Played, Shape, line, sounding_at
from conductor.backends.skytnt.answerbias import DecoderBias
from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.draft import make_draft
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.lora import merge_lora
from conductor.backends.skytnt.masks import TIME_STEPS, from_constraints
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.backends.skytnt.rolecontext import RoleFrame, context_rows, frame_constraints, frame_for
from conductor.backends.skytnt.roles import AI_CHANNEL, read_format, read_key
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.backends.skytnt.score import score_note_to_note
from conductor.backends.skytnt.speculative import SpeculativeDecoder
from conductor.backends.skytnt.voices import voiced_score
from conductor.core.events import Note, Source, sort_notes
from conductor.core.timebase import Timebase, bar_origin
from conductor.piece.compiled import ModelSpec, SamplingSpec

log = logging.getLogger(__name__)
TPB = 480
SETUP_ROWS = 32  # token rows besides the notes: BOS, tempo, meter, key and a program per channel


class SkyTNTModel:
    """A SkyTNT model that streams notes and keeps its context cache between generations."""

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
        self.max_context = max_context
        self._notes: list[Note] = []  # the anchor context, in onset order
        self._origin: float | None = None
        self._tb: Timebase | None = None
        self._window = 0.0  # seconds of context the last request asked for
        self._voices: tuple[int, ...] = ()  # the score channels the AI decodes on (see voices.py)
        self._streaming = False  # a generation is between events: its rows must stay in the cache
        self.role_key = role_key
        self._frame = RoleFrame()  # a role model's frame for the current generation

    @classmethod
    def from_spec(cls, spec: ModelSpec, base_dir: Path | None = None) -> SkyTNTModel:
        """Load `spec.checkpoint` (relative to `base_dir`) or build a random `spec.config` model; merge
        the LoRA adapter `spec.lora` (relative to `base_dir`) into it if the spec names one."""
        if spec.checkpoint is not None:
            path = _resolve(spec.checkpoint, base_dir)
            model = load_checkpoint(path, spec.config)
            role_key = read_key(path) if read_format(path) is not None else None
        elif spec.config is not None:
            log.warning("model %s is randomly initialised (no checkpoint): expect noise", spec.config)
            model = build_model(MIDIModelConfig.from_name(spec.config))
            role_key = None
        else:
            raise ModelError("a skytnt model needs a checkpoint path (or a config name for a random model)")
        if spec.lora is not None:
            model = merge_lora(model, _resolve(spec.lora, base_dir))
        if spec.tokenizer is not None and spec.tokenizer != model.config.tokenizer:
            raise ModelError(
                f"the piece asks for tokenizer {spec.tokenizer} but the model was trained with "
                f"{model.config.tokenizer}: expected them to match (or leave tokenizer out)"
            )
        _one_thread()
        return cls(model, dtype=spec.dtype, device=spec.device, role_key=role_key)

    # ---- Model protocol ------------------------------------------------------------------------

    def observe(self, notes: Sequence[Note]) -> None:
        """Add heard notes to the anchor and prefill them (after the first generation set a timebase)."""
        if self._origin is None or self._tb is None or not notes:
            return
        self._notes = _merge(self._notes, [n for n in notes if n.onset >= self._origin])
        if self._streaming:  # prefilling now would cut off the generation's own rows mid-answer
            return
        if len(self._notes) > self.max_context * 3 // 4:  # rebuild here, before a trigger must
            self._rebase(self._notes[-1].onset - self._window)
        self._source.prefill(self._rows())

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        """Stream notes starting in [request.start, request.until], at most `request.max_events`."""
        self._adopt(request)
        tb, origin = request.timebase, self._origin
        assert origin is not None
        window = (self._sixteenths(request.start, ceil=True), self._sixteenths(request.until, ceil=False))
        rows = self._rows()
        decoded = self._decoded(request)
        if request.constraints.monophonic:  # a line: one part of its own
            decoded = replace(decoded, channels=frozenset(self._voices[-1:]))
        played = self._played(request)
        mask = from_constraints(self.tokenizer, decoded, window, self.decoder.device, rows, played)
        gen = make_generator(request.sampling.seed, "cpu")
        channel = min(request.constraints.channels, default=0)
        bias = self._answer_bias(request)
        source = self._source if bias is None else self.decoder  # a bias decodes on the plain path
        self._streaming, self.decoder.bias = True, bias
        try:
            for row in source.stream(rows, mask, _sampling(request.sampling), gen, request.max_events):
                if bias is not None:
                    bias.played(row)
                note = self._to_note(row, origin, tb)
                if note is not None and request.start - 1e-6 <= note.onset <= request.until + 1e-6:
                    yield note.with_(channel=channel)
        finally:
            self._streaming, self.decoder.bias = False, None

    def close(self) -> None:
        """Drop the cached context."""
        self.decoder.reset()
        self._notes, self._origin = [], None

    # ---- context -------------------------------------------------------------------------------

    def _adopt(self, request: GenerationRequest) -> None:
        """Merge the request's window into the anchor, or restart the anchor from it. The anchor may
        hold twice the window (so it slides for a while before a rebuild), within the positions the
        model has once the answer's rows are kept free; a longer window keeps its latest notes."""
        self._window = max(0.0, request.start - request.origin)
        room = self.decoder.net.max_positions - request.max_events - SETUP_ROWS
        context = request.context[-room:] if len(request.context) > room else request.context
        self.max_context = max(self.max_context, min(room, 2 * len(context)))
        merged = _merge(self._notes, context)
        reuse = (
            self._origin is not None
            and self._tb == request.timebase
            and request.origin >= self._origin
            and len(merged) <= self.max_context
        )
        if self.role_key is not None:
            self._frame = frame_for(request, self.role_key)
        if reuse:
            self._notes = merged
        else:
            self._tb, self._origin = request.timebase, request.origin
            self._notes = _merge([], context)

    def _rebase(self, since: float) -> None:
        assert self._tb is not None
        self._origin = bar_origin(since, self._tb)
        self._notes = [n for n in self._notes if n.onset >= self._origin][-self.max_context // 2 :]
        if self._notes:  # the bar line at or before the first note kept
            self._origin = bar_origin(self._notes[0].onset, self._tb)

    def _answer_bias(self, request: GenerationRequest) -> DecoderBias | None:
        """The request's answer strategy over its turn as logits (None: `free`, or nothing heard)."""
        assert self._origin is not None and self._tb is not None
        scale = request.key.pitch_classes if request.key is not None else request.constraints.pitch_classes
        bias = answer_bias(request.answer, request.turn, self._origin, self._tb, scale)
        shift = self._frame.shift if self.role_key is not None else 0
        return None if bias is None else DecoderBias(bias, self.decoder, shift)

    def _decoded(self, request: GenerationRequest) -> Constraints:
        """The constraints the model decodes under: its own channels (a role model's, in its frame)."""
        if self.role_key is not None:
            return frame_constraints(request.constraints, self._frame)
        return replace(request.constraints, channels=frozenset(self._voices))

    def _rows(self) -> list[list[int]]:
        assert self._origin is not None and self._tb is not None
        if self.role_key is not None:
            self._voices = (AI_CHANNEL,)
            return context_rows(self.tokenizer, self._notes, self._origin, self._tb, self._frame)
        voiced = voiced_score(
            self._notes, self._origin, self._tb, TPB, self.tokenizer.event_parameters["channel"]
        )
        self._voices = voiced.ai_channels
        rows: list[list[int]] = self.tokenizer.tokenize(voiced.score)
        return rows[:-1]  # without EOS: the model continues the piece

    def _played(self, request: GenerationRequest) -> Played:
        """The roles of `request` in 16ths from the origin, the AI's notes still sounding at its start
        counted as played (so none is struck again while it sounds); a role model's in its frame."""
        assert self._origin is not None and self._tb is not None
        shift = self._frame.shift if self.role_key is not None else 0
        mine = [n.with_(pitch=n.pitch + shift) for n in self._notes if n.source is Source.AI]
        start = self._sixteenths(request.start, ceil=True)
        ai = [
            (
                self._tb.beats(n.onset - self._origin) * TIME_STEPS,
                self._tb.beats(n.end - self._origin) * TIME_STEPS,
                n.pitch,
            )
            for n in mine
        ]
        per_second = TIME_STEPS / self._tb.seconds_per_beat
        span = (request.until - request.start) * per_second
        shape = Shape.of(request.constraints, per_second, request.max_events, span)
        before = line([n for n in mine if n.onset < request.start])
        return Played.start(shape, sounding_at(ai, start), start, before)

    def _sixteenths(self, t: float, ceil: bool) -> int:
        assert self._origin is not None and self._tb is not None
        value = self._tb.beats(t - self._origin) * TIME_STEPS
        return math.ceil(value - 1e-6) if ceil else math.floor(value + 1e-6)

    def _to_note(self, row: Row, origin: float, tb: Timebase) -> Note | None:
        event = self.tokenizer.tokens2event(list(row))
        if event is None or event[0] != "note":
            return None
        values = dict(zip(self.tokenizer.events["note"], event[1:], strict=True))
        tick = (self.decoder.last_beat * TIME_STEPS + values["time2"]) * TPB // TIME_STEPS
        duration = values["duration"] * TPB // TIME_STEPS
        pitch = self._frame.back(values["pitch"]) if self.role_key is not None else values["pitch"]
        if pitch is None:
            return None
        score_event = ["note", tick, duration, values["channel"], pitch, values["velocity"]]
        return score_note_to_note(score_event, origin, tb, TPB, Source.AI)


def _resolve(path: Path, base_dir: Path | None) -> Path:
    """`path` as written in the piece: relative to the piece's folder `base_dir` unless absolute."""
    return path if path.is_absolute() or base_dir is None else base_dir / path


def _one_thread() -> None:
    """Decode on one torch thread (override with CONDUCTOR_TORCH_THREADS).

    Decoding is bound by memory traffic, so a second thread gains little, and the live clock needs
    the other core; with GNU OpenMP's spinning waits, two threads next to any other busy process ran
    a rehearsal 4x slower than one (31 s against 7 s for mark_sat with tv2o-small).
    """
    torch.set_num_threads(int(os.environ.get("CONDUCTOR_TORCH_THREADS", "1")))


def _merge(notes: Sequence[Note], more: Sequence[Note]) -> list[Note]:
    """Both sets of notes in order, one per (onset, channel, pitch): the longest (a held note grows)."""
    out: dict[tuple[float, int, int], Note] = {}
    for note in (*notes, *more):
        key = (round(note.onset, 6), note.channel, note.pitch)
        if key not in out or note.duration > out[key].duration:
            out[key] = note
    return sort_notes(out.values())


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
