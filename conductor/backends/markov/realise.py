"""From an event key back to pitches: relative steps made absolute, folded by octaves, constrained;
then shaped into the group the decode-time roles allow (`shape_group`: a voicing, a line, a cap)."""

from __future__ import annotations

from collections.abc import Collection

from conductor.backends.base import Constraints
from conductor.backends.markov.events import EventKey
from conductor.backends.shaping import Shape, spread

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
    pcs = constraints.classes()
    for offset in (0, *key[1]):
        pitch = fit_range(top + offset, max(0, constraints.low), min(127, constraints.high))
        if pitch is not None and (pcs is None or pitch % 12 in pcs):
            out.add(pitch)
    return tuple(sorted(out, reverse=True)) or None


def nearest_allowed(anchor: int, constraints: Constraints, avoid: int | None = None) -> int | None:
    """The allowed pitch nearest to `anchor` other than `avoid` (lower first on a tie), or None."""
    low, high = max(0, constraints.low), min(127, constraints.high)
    pcs = constraints.classes()
    for dist in range(128):
        for pitch in (anchor - dist, anchor + dist):
            if low <= pitch <= high and (pcs is None or pitch % 12 in pcs) and pitch != avoid:
                return pitch
    return None


def shape_group(
    pitches: tuple[int, ...], shape: Shape, constraints: Constraints, banned: Collection[int]
) -> tuple[int, ...]:
    """The pitches (descending) an event plays under the roles: none still sounding (`banned`); a
    line keeps its top note; a chord keeps notes at least `spacing` apart, is filled down to
    `group_min` with the allowed pitch classes below it (a close voicing under the line), and is
    thinned to `group_max` spread from its lowest to its highest."""
    kept: list[int] = []
    for pitch in sorted(pitches, reverse=True):
        if pitch not in banned and (not kept or kept[-1] - pitch >= max(1, shape.spacing)):
            kept.append(pitch)
    if shape.monophonic:
        return tuple(kept[:1])
    if kept and len(kept) < shape.group_min:
        kept += _below(kept[-1], shape.group_min - len(kept), shape.spacing, constraints, banned)
    return tuple(sorted(spread(kept, shape.group_max), reverse=True))


def _below(
    pitch: int, count: int, spacing: int, constraints: Constraints, banned: Collection[int]
) -> list[int]:
    """Up to `count` allowed pitches under `pitch`, each the nearest at least `spacing` below the last."""
    out: list[int] = []
    pcs = constraints.classes()
    step = max(1, spacing)
    candidate = pitch - step
    while len(out) < count and candidate >= max(0, constraints.low):
        if (pcs is None or candidate % 12 in pcs) and candidate not in banned:
            out.append(candidate)
            candidate -= step
        else:
            candidate -= 1
    return out
