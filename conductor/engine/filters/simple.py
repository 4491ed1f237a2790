"""Filters that decide each note alone and release it at once: key, range, velocity, horizon, turn
window and density. All realtime-safe: O(1) work per note (density: amortised O(1))."""

from __future__ import annotations

from collections import deque

from conductor.backends.shaping import rate_window
from conductor.core.events import Note
from conductor.core.keys import Key, detect_key, snap_pitch
from conductor.engine.filters.base import EPS, FilterContext, MapStage, unit_random
from conductor.piece.compiled import (
    DensityFilter,
    FixedKey,
    HorizonFilter,
    KeyFilter,
    RangeFilter,
    VelocityFilter,
)
from conductor.piece.names import KeyAction

COMPLEMENT_HALF = 4.0  # human notes per second at which `complement` halves the keep-probability


def complement_factor(human_density: float) -> float:
    """How much `complement` scales the keep-probability: 1 / (1 + density / 4).

    A silent human leaves the AI alone (1.0); 4 notes/s halve its notes, 12 notes/s keep a quarter.
    """
    return 1.0 / (1.0 + max(0.0, human_density) / COMPLEMENT_HALF)


class TurnWindowStage(MapStage):
    """Drop notes starting outside [start, until]; with `clip`, end every note by `until` too."""

    def __init__(self, ctx: FilterContext) -> None:
        self.start, self.until, self.clip = ctx.start, ctx.until, ctx.clip

    def apply(self, note: Note) -> Note | None:
        if note.onset < self.start - EPS or note.onset > self.until + EPS:
            return None
        if not self.clip:
            return note
        if note.onset >= self.until - EPS:
            return None  # it would have no length left
        return note.with_(duration=self.until - note.onset) if note.end > self.until else note


class HorizonStage(MapStage):
    """Drop notes starting after start + horizon (or after `until`, if earlier)."""

    def __init__(self, spec: HorizonFilter, ctx: FilterContext) -> None:
        self.limit = min(ctx.until, ctx.start + spec.horizon.seconds(ctx.timebase))

    def apply(self, note: Note) -> Note | None:
        return None if note.onset > self.limit + EPS else note


class RangeStage(MapStage):
    """Fold notes into [low, high] by octaves; drop a note when no octave of it fits."""

    def __init__(self, spec: RangeFilter) -> None:
        self.low, self.high = spec.low, spec.high

    def apply(self, note: Note) -> Note | None:
        pitch = note.pitch
        while pitch < self.low:
            pitch += 12
        while pitch > self.high:
            pitch -= 12
        if not self.low <= pitch <= self.high:
            return None
        return note if pitch == note.pitch else note.with_(pitch=pitch)


class VelocityStage(MapStage):
    """velocity × scale + offset, rounded, clamped into [low, high] ∩ [1, 127] (never 0)."""

    def __init__(self, spec: VelocityFilter) -> None:
        self.spec = spec
        self.low = max(1, spec.low)
        self.high = max(self.low, min(127, spec.high))

    def apply(self, note: Note) -> Note | None:
        velocity = round(note.velocity * self.spec.scale + self.spec.offset)
        velocity = min(self.high, max(self.low, velocity))
        return note if velocity == note.velocity else note.with_(velocity=velocity)


def resolve_key(spec: KeyFilter, ctx: FilterContext) -> Key | None:
    """The fixed key, else the context's key, else the key detected in the listening window."""
    if isinstance(spec.key, FixedKey):
        return spec.key.key
    return ctx.key if ctx.key is not None else detect_key(ctx.window)


class KeyStage(MapStage):
    """Snap (nearest scale tone, ties downward) or drop notes outside the key.

    A snapped note that lands on a pitch already released at the same onset and channel is
    dropped (no doubled note-ons). Without any key (no fixed key and nothing heard) notes pass.
    """

    def __init__(self, spec: KeyFilter, ctx: FilterContext) -> None:
        key = resolve_key(spec, ctx)
        self.pitch_classes = key.pitch_classes if key is not None else None
        self.drop = spec.action is KeyAction.DROP
        self._onset = float("nan")
        self._taken: set[tuple[int, int]] = set()  # (channel, pitch) released at `_onset`

    def apply(self, note: Note) -> Note | None:
        if self.pitch_classes is None:
            return note
        if note.pitch % 12 not in self.pitch_classes:
            if self.drop:
                return None
            note = note.with_(pitch=snap_pitch(note.pitch, self.pitch_classes))
        if note.onset != self._onset:
            self._onset, self._taken = note.onset, set()
        if (note.channel, note.pitch) in self._taken:
            return None
        self._taken.add((note.channel, note.pitch))
        return note


class DensityStage(MapStage):
    """Keep each note with a probability, then cap the rate.

    probability = keep (default 1) × complement_factor(human density) when `complement`; the
    draw is `unit_random(seed, note)`. The cap: at most N kept onsets in any window of W seconds,
    W = max(1, 1 / max_per_second), N = max(1, floor(max_per_second × W)).
    """

    def __init__(self, spec: DensityFilter, ctx: FilterContext) -> None:
        self.keep = spec.keep * (complement_factor(ctx.human_density) if spec.complement else 1.0)
        self.seed = ctx.seed
        rate = spec.max_per_second
        self.span, self.cap = rate_window(rate) if rate else (0.0, 0)
        self._kept: deque[float] = deque()  # onsets of kept notes within the last `span`

    def apply(self, note: Note) -> Note | None:
        if self.keep < 1.0 and unit_random(self.seed, note) >= self.keep:
            return None
        if not self.cap:
            return note
        while self._kept and self._kept[0] <= note.onset - self.span + EPS:
            self._kept.popleft()
        if len(self._kept) >= self.cap:
            return None
        self._kept.append(note.onset)
        return note
