"""The filter chain: the turn window, then the section's filters in order, then (when the human's beat
is tracked) the feel stage that puts the notes on it; streaming or in one go.

`FilterChain(filters, ctx).push(note)` releases notes as soon as they are final — key, range,
velocity, horizon, density and the turn window at once; chords and melody once a note beyond the
current cluster's window arrives — and `flush()` releases the rest. `apply_filters` is the same
chain run over a whole list (sorted first), so streaming and batch give the same notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from conductor.core.events import Note
from conductor.engine.filters.base import EPS, FilterContext, Stage, order
from conductor.engine.filters.feel import FeelStage
from conductor.engine.filters.grouping import ChordsStage, MelodyStage
from conductor.engine.filters.simple import (
    DensityStage,
    HorizonStage,
    KeyStage,
    RangeStage,
    TurnWindowStage,
    VelocityStage,
)
from conductor.piece.compiled import (
    ChordsFilter,
    DensityFilter,
    Filter,
    HorizonFilter,
    KeyFilter,
    MelodyFilter,
    RangeFilter,
    VelocityFilter,
)


def make_stage(spec: Filter, ctx: FilterContext) -> Stage:
    """The stage for one compiled filter spec."""
    if isinstance(spec, KeyFilter):
        return KeyStage(spec, ctx)
    if isinstance(spec, ChordsFilter):
        return ChordsStage(spec, spec.window.seconds(ctx.timebase))
    if isinstance(spec, MelodyFilter):
        return MelodyStage(spec)
    if isinstance(spec, DensityFilter):
        return DensityStage(spec, ctx)
    if isinstance(spec, RangeFilter):
        return RangeStage(spec)
    if isinstance(spec, VelocityFilter):
        return VelocityStage(spec)
    if isinstance(spec, HorizonFilter):
        return HorizonStage(spec, ctx)
    raise TypeError(f"unknown filter spec: {spec!r}")


class FilterChain:
    """One generation's filters as a stream. Not thread-safe; realtime-safe per note.

    Notes must arrive in non-decreasing onset order (the model protocol's promise); a note that
    starts before one already pushed is dropped and counted in `late`, never allowed to upset
    the stages.
    """

    def __init__(self, filters: Sequence[Filter], ctx: FilterContext) -> None:
        self.ctx = ctx
        self.stages: list[Stage] = [TurnWindowStage(ctx), *(make_stage(spec, ctx) for spec in filters)]
        if ctx.beats is not None:
            self.stages.append(FeelStage(ctx.beats, ctx))
        self.late = 0
        self._last_onset = float("-inf")

    def push(self, note: Note) -> list[Note]:
        """Filter the next note; return the notes that are final now (possibly none)."""
        if note.onset < self._last_onset - EPS:
            self.late += 1
            return []
        self._last_onset = max(self._last_onset, note.onset)
        return self._run([note], 0)

    def flush(self) -> list[Note]:
        """The generation is over: release every note still held, through the later stages."""
        pending: list[Note] = []  # released by earlier stages' flush: still to pass the later ones
        for stage in self.stages:
            pending = [out for note in pending for out in stage.push(note)] + stage.flush()
        return pending

    def _run(self, notes: list[Note], first: int) -> list[Note]:
        """Push `notes` through the stages from index `first` on."""
        for stage in self.stages[first:]:
            notes = [out for note in notes for out in stage.push(note)]
            if not notes:
                return []
        return notes


def apply_filters(filters: Sequence[Filter], notes: Iterable[Note], ctx: FilterContext) -> list[Note]:
    """Filter a whole generation at once (pure): sort by onset, push every note, flush."""
    chain = FilterChain(filters, ctx)
    out: list[Note] = []
    for note in sorted(notes, key=order):
        out.extend(chain.push(note))
    out.extend(chain.flush())
    return out
