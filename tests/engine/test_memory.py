"""Memory: windows by bars, seconds and notes; held notes; caps; density; bounded size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conductor.core.events import Note, Source, sort_notes
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.memory import Memory

TB = Timebase(bpm=120)  # 0.5 s a beat, 2 s a bar
H, A = Source.HUMAN, Source.AI
BOTH = (H, A)


def n(onset: float, pitch: int = 60, source: Source = H, duration: float = 0.25) -> Note:
    return Note(onset, duration, pitch, 100, 2 if source is A else 0, source)


def filled() -> Memory:
    memory = Memory()
    memory.extend([n(0.0), n(1.0, 62), n(2.0, 64), n(2.5, 72, A), n(4.0, 65), n(5.0, 67), n(5.5, 74, A)])
    return memory


def test_window_in_bars_and_seconds() -> None:
    memory = filled()
    assert memory.window(6.0, Span(2, Unit.BARS), [H], TB, 99) == (n(2.0, 64), n(4.0, 65), n(5.0, 67))
    assert memory.window(6.0, Span(1.0, Unit.SECONDS), BOTH, TB, 99) == (n(5.0, 67), n(5.5, 74, A))
    assert memory.window(6.0, Span(2, Unit.BEATS), [A], TB, 99) == (n(5.5, 74, A),)


def test_window_edges_are_inclusive_and_future_onsets_excluded() -> None:
    memory = filled()
    memory.add(n(6.5, 76))  # scheduled after `now`
    assert memory.window(5.0, Span(3, Unit.SECONDS), [H], TB, 99) == (n(2.0, 64), n(4.0, 65), n(5.0, 67))


def test_window_of_notes_counts_across_sources() -> None:
    memory = filled()
    assert memory.window(6.0, Span(3, Unit.NOTES), BOTH, TB, 99) == (n(4.0, 65), n(5.0, 67), n(5.5, 74, A))
    assert memory.window(3.0, Span(2, Unit.NOTES), [H], TB, 99) == (n(1.0, 62), n(2.0, 64))


def test_max_events_keeps_the_newest() -> None:
    memory = filled()
    assert memory.window(6.0, Span(8, Unit.BARS), BOTH, TB, 2) == (n(5.0, 67), n(5.5, 74, A))
    assert memory.window(6.0, Span(10, Unit.NOTES), [H], TB, 1) == (n(5.0, 67),)
    assert memory.window(6.0, Span(8, Unit.BARS), BOTH, TB, 0) == ()


def test_held_notes_join_the_window_in_order() -> None:
    memory = filled()
    held = [n(5.25, 48, duration=0.75), n(1.0, 36, duration=5.0), n(5.8, 50, A, duration=0.2)]
    got = memory.window(6.0, Span(1, Unit.BARS), [H], TB, 99, held=held)
    assert got == (n(4.0, 65), n(5.0, 67), n(5.25, 48, duration=0.75))
    got = memory.window(6.0, Span(2, Unit.NOTES), [H], TB, 99, held=held)
    assert got == (n(5.0, 67), n(5.25, 48, duration=0.75))


def test_same_onset_sorted_by_channel_then_pitch() -> None:
    memory = Memory()
    memory.extend([n(1.0, 67), n(1.0, 60, A), n(1.0, 64), n(1.0, 60)])
    assert memory.window(1.0, Span(1, Unit.SECONDS), BOTH, TB, 9) == (
        n(1.0, 60),
        n(1.0, 64),
        n(1.0, 67),
        n(1.0, 60, A),
    )


def test_density_counts_notes_per_second() -> None:
    memory = filled()
    assert memory.density(6.0, 2.0, H) == 1.0  # onsets 4.0 and 5.0
    assert memory.density(6.0, 4.0, A) == 0.5  # 2.5 and 5.5
    assert memory.density(6.0, 0.0, H) == 0.0


def test_prunes_by_age() -> None:
    memory = Memory(max_age_s=10.0)
    memory.extend([n(0.0), n(5.0), n(9.0, source=A)])
    assert len(memory) == 3
    memory.add(n(15.0, duration=1.0))  # latest end 16.0: cutoff 6.0
    assert len(memory) == 2
    assert memory.notes(H) == (n(15.0, duration=1.0),)
    assert memory.notes(A) == (n(9.0, source=A),)


def test_prunes_the_globally_oldest_beyond_max_notes() -> None:
    memory = Memory(max_notes=3)
    memory.extend([n(0.0), n(1.0, source=A), n(2.0), n(3.0, source=A), n(0.5)])
    assert len(memory) == 3
    assert memory.notes(H) == (n(2.0),)
    assert memory.notes(A) == (n(1.0, source=A), n(3.0, source=A))


def test_rejects_bad_limits_and_clears() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Memory(max_notes=0)
    memory = filled()
    memory.clear()
    assert len(memory) == 0
    assert memory.window(6.0, Span(8, Unit.BARS), BOTH, TB, 99) == ()


notes_st = st.lists(
    st.builds(
        n,
        onset=st.integers(0, 400).map(lambda k: k / 8),
        pitch=st.integers(0, 127),
        source=st.sampled_from(BOTH),
        duration=st.sampled_from([0.0, 0.5, 3.0]),
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(notes_st, st.integers(1, 40), st.integers(0, 60))
def test_memory_window_matches_a_plain_scan(notes: list[Note], max_notes: int, now8: int) -> None:
    memory = Memory(max_age_s=20.0, max_notes=max_notes)
    memory.extend(notes)
    assert len(memory) <= max_notes
    kept = sort_notes(memory.notes(H) + memory.notes(A))
    now = now8 / 2
    expected = [x for x in kept if now - 3.0 <= x.onset <= now][-7:]
    assert memory.window(now, Span(3, Unit.SECONDS), BOTH, TB, 7) == tuple(expected)
