"""From an event key back to pitches: relative steps made absolute, folded by octaves, constrained."""

from __future__ import annotations

from conductor.backends.base import Constraints
from conductor.backends.markov.events import EventKey

REGISTER_SPAN = 14  # an anchor further than this from the register centre is moved by octaves


def fold_toward(pitch: int, centre: float, span: int = REGISTER_SPAN) -> int:
    """`pitch` moved by octaves until it lies within `span` semitones of `centre`."""
    while pitch - centre > span:
        pitch -= 12
    while centre - pitch > span:
        pitch += 12
    return pitch


def fit_range(pitch: int, low: int, high: int) -> int | None:
    """`pitch` moved by octaves into [low, high], or None when no octave of it fits."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch if low <= pitch <= high else None


def realise(key: EventKey, anchor: int, centre: float, constraints: Constraints) -> tuple[int, ...] | None:
    """The pitches (descending) that event `key` plays after an event anchored at `anchor`.

    The new anchor is folded toward the register `centre`; each pitch is then moved by octaves into
    the constraint range and dropped if its pitch class is not allowed. None if nothing is left.
    """
    top = fold_toward(anchor + key[0], centre)
    out: set[int] = set()
    pcs = constraints.pitch_classes
    for offset in (0, *key[1]):
        pitch = fit_range(top + offset, max(0, constraints.low), min(127, constraints.high))
        if pitch is not None and (pcs is None or pitch % 12 in pcs):
            out.add(pitch)
    return tuple(sorted(out, reverse=True)) or None


def nearest_allowed(anchor: int, constraints: Constraints) -> int | None:
    """The allowed pitch nearest to `anchor` (lower first on a tie), or None if none is allowed."""
    low, high = max(0, constraints.low), min(127, constraints.high)
    pcs = constraints.pitch_classes
    for dist in range(128):
        for pitch in (anchor - dist, anchor + dist):
            if low <= pitch <= high and (pcs is None or pitch % 12 in pcs):
                return pitch
    return None
