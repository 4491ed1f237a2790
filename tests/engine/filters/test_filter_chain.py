"""The chain: streaming equals batch, notes released as early as promised, invariants hold."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from conductor.backends.base import GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.keys import make_key, parse_key
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.filters import FilterChain, FilterContext, apply_filters
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

TB = Timebase(bpm=120)
A = Source.AI


def n(onset: float, pitch: int, duration: float = 0.5, velocity: int = 100) -> Note:
    return Note(onset, duration, pitch, velocity, 2, A)


def order(note: Note) -> tuple[float, int, int, float, int]:
    return (note.onset, note.channel, note.pitch, note.duration, note.velocity)


def test_simple_filters_release_at_once() -> None:
    filters: tuple[Filter, ...] = (
        KeyFilter(FixedKey(parse_key("C major"))),
        RangeFilter(48, 72),
        VelocityFilter(scale=0.5),
    )
    chain = FilterChain(filters, FilterContext(0.0, 10.0, timebase=TB))
    assert chain.push(n(0.0, 61)) == [n(0.0, 60, velocity=50)]
    assert chain.push(n(0.5, 85)) == [n(0.5, 72, velocity=50)]
    assert chain.push(n(11.0, 60)) == []  # after `until`
    assert chain.flush() == []


def test_grouping_then_simple_filters_stream_and_flush() -> None:
    filters: tuple[Filter, ...] = (MelodyFilter(MelodyLine.HIGHEST), VelocityFilter(offset=-50))
    chain = FilterChain(filters, FilterContext(0.0, 10.0, timebase=TB))
    assert chain.push(n(0.0, 60, 1.0)) == []
    assert chain.push(n(0.0, 64, 1.0)) == []
    assert chain.push(n(0.5, 62)) == [n(0.0, 64, 0.5, 50)]
    assert chain.flush() == [n(0.5, 62, 0.5, 50)]


def test_late_notes_are_dropped_and_counted() -> None:
    chain = FilterChain((), FilterContext(0.0, 10.0, timebase=TB))
    assert chain.push(n(1.0, 60)) == [n(1.0, 60)]
    assert chain.push(n(0.5, 62)) == []
    assert chain.late == 1


def test_context_from_request() -> None:
    window = (Note(0.0, 1.0, 60, 80),)
    request = GenerationRequest(window, 0.0, 2.0, 4.0, TB, 8, human_density=1.5)
    ctx = FilterContext.from_request(request, seed=9, key=make_key(0, "major"), clip=True)
    assert ctx == FilterContext(2.0, 4.0, window, TB, 1.5, 9, key=make_key(0, "major"), clip=True)


def reference_chords(notes: list[Note], min_notes: int, window: float) -> list[Note]:
    """Clusters by a plain scan over the sorted notes (anchored at each cluster's first onset)."""
    out: list[Note] = []
    i = 0
    while i < len(notes):
        j = i
        while j < len(notes) and notes[j].onset <= notes[i].onset + window + 1e-9:
            j += 1
        unique = {(x.channel, x.pitch): x for x in reversed(notes[i:j])}
        if len(unique) >= min_notes:
            out.extend(sorted(unique.values(), key=order))
        i = j
    return out


def reference_highest(notes: list[Note], window: float = 0.05) -> list[Note]:
    clusters: list[list[Note]] = []
    for note in notes:
        if clusters and note.onset <= clusters[-1][0].onset + window + 1e-9:
            clusters[-1].append(note)
        else:
            clusters.append([note])
    line = [max(c, key=lambda x: x.pitch) for c in clusters]  # max() keeps the first among equals
    starts = [c[0].onset for c in clusters[1:]] + [float("inf")] * bool(clusters)
    return [x.with_(duration=s - x.onset) if x.end > s else x for x, s in zip(line, starts, strict=True)]


onsets = st.integers(0, 160).map(lambda k: k / 40)  # a grid of 25 ms: clusters do form
notes_st = st.lists(
    st.builds(n, onsets, st.integers(20, 110), st.sampled_from([0.0, 0.1, 0.5, 2.0]), st.integers(1, 127)),
    max_size=60,
)
filter_st = st.sampled_from(
    [
        KeyFilter(FixedKey(parse_key("D minor"))),
        KeyFilter(FixedKey(parse_key("F# major")), action=KeyAction.DROP),
        KeyFilter(),
        ChordsFilter(min_notes=2),
        ChordsFilter(min_notes=3, window=Span(0.1, Unit.SECONDS)),
        MelodyFilter(MelodyLine.HIGHEST),
        MelodyFilter(MelodyLine.SALIENT),
        MelodyFilter(MelodyLine.LOWEST),
        DensityFilter(keep=0.6, max_per_second=5, complement=True),
        RangeFilter(48, 72),
        VelocityFilter(scale=1.3, offset=-20),
        HorizonFilter(Span(1, Unit.BARS)),
    ]
)


@settings(max_examples=150, deadline=None)
@given(notes_st, st.lists(filter_st, max_size=4), st.integers(0, 3), st.booleans(), st.randoms())
def test_streaming_equals_batch(
    notes: list[Note], filters: list[Filter], seed: int, clip: bool, rnd: random.Random
) -> None:
    window = (Note(0.0, 2.0, 62, 80), Note(1.0, 1.0, 65, 80), Note(2.0, 1.0, 69, 80))
    ctx = FilterContext(0.5, 3.5, window, TB, human_density=2.0, seed=seed, clip=clip)
    chain = FilterChain(filters, ctx)
    streamed: list[Note] = []
    for note in sorted(notes, key=order):
        streamed.extend(chain.push(note))
    streamed.extend(chain.flush())
    shuffled = list(notes)
    rnd.shuffle(shuffled)
    assert streamed == apply_filters(filters, shuffled, ctx)
    assert all(0.5 <= x.onset <= 3.5 and 1 <= x.velocity <= 127 for x in streamed)
    assert [x.onset for x in streamed] == sorted(x.onset for x in streamed)
    if clip:
        assert all(x.end <= 3.5 + 1e-9 for x in streamed)


@settings(max_examples=150, deadline=None)
@given(notes_st, st.integers(1, 4))
def test_chords_match_a_plain_scan(notes: list[Note], min_notes: int) -> None:
    ctx = FilterContext(0.0, 10.0, timebase=TB)
    # no thinning here (max_notes above any cluster): this is about the clusters; thinning is tested apart
    got = apply_filters((ChordsFilter(min_notes=min_notes, max_notes=128),), notes, ctx)
    assert got == reference_chords(sorted(notes, key=order), min_notes, 0.05)


@settings(max_examples=150, deadline=None)
@given(notes_st)
def test_melody_matches_a_plain_scan_and_never_overlaps(notes: list[Note]) -> None:
    ctx = FilterContext(0.0, 10.0, timebase=TB)
    got = apply_filters((MelodyFilter(MelodyLine.HIGHEST),), notes, ctx)
    assert got == reference_highest(sorted(notes, key=order))
    assert all(a.end <= b.onset + 1e-9 for a, b in itertools.pairwise(got))


def test_a_cluster_over_max_notes_is_thinned_evenly_from_lowest_to_highest() -> None:
    ctx = FilterContext(0.0, 10.0, timebase=TB)
    cluster = [n(0.0, p, 0.5, 80) for p in (48, 52, 55, 60, 64, 67, 72)]
    got = apply_filters((ChordsFilter(min_notes=2, max_notes=3),), cluster, ctx)
    assert [x.pitch for x in got] == [48, 60, 72]
