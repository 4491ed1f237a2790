"""Each filter alone, with exact expected notes."""

from __future__ import annotations

import pytest

from conductor.core.events import Note, Source
from conductor.core.keys import make_key, parse_key
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.filters import FilterChain, FilterContext, apply_filters
from conductor.engine.filters.simple import complement_factor
from conductor.piece.compiled import (
    ChordsFilter,
    DensityFilter,
    Filter,
    FixedKey,
    HorizonFilter,
    KeyAction,
    KeyFilter,
    MelodyFilter,
    MelodyLine,
    RangeFilter,
    VelocityFilter,
)

TB = Timebase(bpm=120)  # 0.5 s a beat
CTX = FilterContext(start=0.0, until=100.0, timebase=TB)
A = Source.AI


def n(onset: float, pitch: int, duration: float = 0.5, velocity: int = 100) -> Note:
    return Note(onset, duration, pitch, velocity, 2, A)


def run(filters: tuple[Filter, ...], notes: list[Note], ctx: FilterContext = CTX) -> list[Note]:
    return apply_filters(filters, notes, ctx)


def test_turn_window_drops_outside_and_keeps_long_notes() -> None:
    ctx = FilterContext(start=1.0, until=3.0, timebase=TB)
    notes = [n(0.5, 60), n(1.0, 61, 4.0), n(3.0, 62), n(3.5, 63)]
    assert run((), notes, ctx) == [n(1.0, 61, 4.0), n(3.0, 62)]


def test_turn_window_clips_in_trading() -> None:
    ctx = FilterContext(start=1.0, until=3.0, timebase=TB, clip=True)
    notes = [n(1.0, 60, 0.5), n(2.5, 61, 1.0), n(3.0, 62)]
    assert run((), notes, ctx) == [n(1.0, 60, 0.5), n(2.5, 61, 0.5)]


def test_horizon() -> None:
    ctx = FilterContext(start=1.0, until=4.0, timebase=TB)
    notes = [n(1.0, 60), n(1.5, 61), n(1.6, 62)]
    assert run((HorizonFilter(Span(1, Unit.BEATS)),), notes, ctx) == [n(1.0, 60), n(1.5, 61)]
    ctx = FilterContext(start=1.0, until=1.2, timebase=TB)  # `until` comes first
    assert run((HorizonFilter(Span(1, Unit.BARS)),), notes, ctx) == [n(1.0, 60)]


def test_range_folds_by_octaves_or_drops() -> None:
    notes = [n(0.0, 30), n(0.5, 100), n(1.0, 60), n(1.5, 84), n(2.0, 85)]
    assert run((RangeFilter(48, 84),), notes) == [n(0.0, 54), n(0.5, 76), n(1.0, 60), n(1.5, 84), n(2.0, 73)]
    assert run((RangeFilter(60, 64),), [n(0.0, 50), n(0.5, 66)]) == [n(0.0, 62)]


def test_velocity_scale_offset_clamp_never_zero() -> None:
    notes = [n(0.0, 60, velocity=1), n(0.5, 60, velocity=100), n(1.0, 60, velocity=127)]
    assert run((VelocityFilter(scale=0.4),), notes) == [
        n(0.0, 60, velocity=1),
        n(0.5, 60, velocity=40),
        n(1.0, 60, velocity=51),
    ]
    assert run((VelocityFilter(scale=2.0, offset=-10),), notes) == [
        n(0.0, 60, velocity=1),
        n(0.5, 60, velocity=127),
        n(1.0, 60, velocity=127),
    ]
    assert run((VelocityFilter(offset=-500, low=0, high=90),), notes)[0].velocity == 1
    assert [x.velocity for x in run((VelocityFilter(low=30, high=90),), notes)] == [30, 90, 90]


def test_key_snap_downward_and_dedupe() -> None:
    spec = KeyFilter(FixedKey(parse_key("C major")))
    notes = [n(0.0, 60), n(0.0, 61), n(0.0, 64), n(0.5, 66), n(1.0, 70), n(1.5, 1)]
    assert run((spec,), notes) == [n(0.0, 60), n(0.0, 64), n(0.5, 65), n(1.0, 69), n(1.5, 0)]


def test_key_drop() -> None:
    spec = KeyFilter(FixedKey(parse_key("D minor")), action=KeyAction.DROP)
    notes = [n(0.0, 62), n(0.5, 61), n(1.0, 70), n(1.5, 71)]
    assert run((spec,), notes) == [n(0.0, 62), n(1.0, 70)]


def test_key_detected_from_window_or_given() -> None:
    window = tuple(Note(float(i), 1.0, p, 80) for i, p in enumerate([62, 64, 65, 67, 69, 70, 73, 74, 69, 62]))
    ctx = FilterContext(start=0.0, until=10.0, window=window, timebase=TB)
    assert run((KeyFilter(),), [n(0.0, 71), n(0.5, 66)], ctx) == [n(0.0, 70), n(0.5, 65)]  # D minor
    ctx = FilterContext(start=0.0, until=10.0, window=window, timebase=TB, key=make_key(7, "major"))
    assert run((KeyFilter(),), [n(0.0, 71), n(0.5, 65)], ctx) == [n(0.0, 71), n(0.5, 64)]  # G major
    assert run((KeyFilter(),), [n(0.0, 61)]) == [n(0.0, 61)]  # nothing heard: no key, notes pass


def test_chords_keep_clusters_of_min_notes() -> None:
    spec = ChordsFilter(min_notes=3, window=Span(0.05, Unit.SECONDS))
    notes = [
        n(0.0, 60), n(0.02, 64), n(0.05, 67),  # a chord (window edge included)
        n(1.0, 60), n(1.0, 64), n(1.06, 67),  # 67 is beyond the window: two clusters, both too small
        n(2.0, 60), n(2.0, 60), n(2.01, 64),  # repeated pitch counts once: 2 distinct
        n(3.0, 72), n(3.0, 67), n(3.0, 64), n(3.0, 64),  # chord, doubled 64 kept once
    ]  # fmt: skip
    assert run((spec,), notes) == [n(0.0, 60), n(0.02, 64), n(0.05, 67), n(3.0, 64), n(3.0, 67), n(3.0, 72)]


def test_chords_stream_release_on_next_cluster() -> None:
    chain = FilterChain((ChordsFilter(min_notes=2),), CTX)
    assert chain.push(n(0.0, 60)) == []
    assert chain.push(n(0.01, 64)) == []
    assert chain.push(n(0.5, 67)) == [n(0.0, 60), n(0.01, 64)]
    assert chain.flush() == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (MelodyLine.HIGHEST, [n(0.01, 67, 0.2), n(0.5, 72, 0.25, 127), n(1.0, 65, 1.0)]),
        (MelodyLine.LOWEST, [n(0.0, 60, 0.5), n(0.5, 55, 0.5), n(1.0, 65, 1.0)]),
        (MelodyLine.SALIENT, [n(0.0, 64, 0.5, 120), n(0.5, 55, 0.5), n(1.0, 65, 1.0)]),
    ],
)
def test_melody_lines_are_monophonic(line: MelodyLine, expected: list[Note]) -> None:
    notes = [
        n(0.0, 60, 2.0), n(0.0, 64, 2.0, 120), n(0.01, 67, 0.2),  # one moment (within 0.05 s)
        n(0.5, 55, 1.0), n(0.5, 72, 0.25, 127),  # salient: 55 (100 × 1.0) beats 72 (127 × 0.25)
        n(1.0, 65, 1.0),
    ]  # fmt: skip
    assert run((MelodyFilter(line),), notes) == expected


def test_melody_salient_ties_go_to_the_higher_pitch() -> None:
    notes = [n(0.0, 60, 1.0, 50), n(0.0, 62, 0.5, 100), n(2.0, 50)]
    assert run((MelodyFilter(MelodyLine.SALIENT),), notes) == [n(0.0, 62, 0.5, 100), n(2.0, 50)]


def test_density_keep_probability_is_seeded() -> None:
    notes = [n(i * 0.25, 60 + i, 0.25) for i in range(8)]
    spec = DensityFilter(keep=0.5)
    seven = FilterContext(start=0.0, until=9.0, timebase=TB, seed=7)
    eight = FilterContext(start=0.0, until=9.0, timebase=TB, seed=8)
    assert run((spec,), notes, seven) == [notes[0], notes[1], notes[4], notes[6]]
    assert run((spec,), notes, eight) == [notes[0], notes[5], notes[6], notes[7]]
    assert run((spec,), notes, seven) == run((spec,), list(reversed(notes)), seven)


def test_density_max_per_second() -> None:
    notes = [n(i / 10, 60) for i in range(20)]
    kept = run((DensityFilter(max_per_second=3),), notes)
    assert [x.onset for x in kept] == [0.0, 0.1, 0.2, 1.0, 1.1, 1.2]
    slow = run((DensityFilter(max_per_second=0.5),), [n(i / 2, 60) for i in range(10)])
    assert [x.onset for x in slow] == [0.0, 2.0, 4.0]


def test_density_complements_the_human() -> None:
    assert [complement_factor(d) for d in (0.0, 4.0, 12.0, -1.0)] == [1.0, 0.5, 0.25, 1.0]
    notes = [n(i * 0.25, 60 + i, 0.25) for i in range(8)]
    busy = FilterContext(start=0.0, until=9.0, timebase=TB, seed=7, human_density=4.0)
    assert run((DensityFilter(complement=True),), notes, busy) == [notes[0], notes[1], notes[4], notes[6]]
    quiet = FilterContext(start=0.0, until=9.0, timebase=TB, seed=7)
    assert run((DensityFilter(complement=True),), notes, quiet) == notes
    # keep 0.8 × factor 0.5 = 0.4
    assert run((DensityFilter(keep=0.8, complement=True),), notes, busy) == [notes[0], notes[4], notes[6]]
