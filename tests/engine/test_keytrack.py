"""KeyTracker: the key comes from the human only, over a long window, and changes reluctantly."""

from __future__ import annotations

from conductor.core.events import Note, Source
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.keytrack import KeyTracker
from conductor.engine.memory import Memory

TB = Timebase(120, 4)
G_MAJOR_LINE = (67, 71, 74, 72, 71, 69, 67, 66, 67, 74, 71, 67, 62, 66, 69, 67)
C_MAJOR_LINE = (60, 64, 67, 65, 64, 62, 60, 65, 69, 65, 64, 62, 60, 67, 64, 60)


def line(pitches: tuple[int, ...], start: float, source: Source = Source.HUMAN) -> list[Note]:
    """Half-second notes, one after another from `start`."""
    return [Note(start + 0.5 * i, 0.5, p, 80, source=source) for i, p in enumerate(pitches)]


def test_no_human_notes_means_no_key() -> None:
    tracker = KeyTracker()
    memory = Memory()
    memory.extend(line(C_MAJOR_LINE, 0.0, Source.AI))
    assert tracker.update(memory, 8.0, Span(4, Unit.BARS), TB) is None


def test_ai_notes_never_steer_the_key() -> None:
    tracker = KeyTracker()
    memory = Memory()
    memory.extend(line(G_MAJOR_LINE, 0.0))
    memory.extend(line(C_MAJOR_LINE * 3, 8.0, Source.AI))
    key = tracker.update(memory, 16.0, Span(4, Unit.BARS), TB)  # 8 bars back reaches the human
    assert key is not None and key.name == "G major"


def test_a_short_borrowed_phrase_does_not_flip_the_key() -> None:
    tracker = KeyTracker()
    tracker.observe(line(G_MAJOR_LINE * 2, 0.0))
    # two bars with F naturals and C major colour, heard together with the G major before it
    mixed = line(G_MAJOR_LINE * 2, 0.0) + line((65, 64, 62, 60), 16.0)
    key = tracker.observe(mixed)
    assert key is not None and key.name == "G major"


def test_a_clear_modulation_is_followed() -> None:
    tracker = KeyTracker()
    tracker.observe(line(G_MAJOR_LINE, 0.0))
    key = tracker.observe(line(C_MAJOR_LINE * 2, 8.0))
    assert key is not None and key.pitch_classes == frozenset({0, 2, 4, 5, 7, 9, 11})


def test_relative_minor_with_the_same_scale_keeps_the_name() -> None:
    tracker = KeyTracker()
    tracker.observe(line(G_MAJOR_LINE, 0.0))
    e_minor = (64, 67, 71, 64, 66, 67, 64, 71, 76, 64, 59, 64, 67, 64, 71, 64)
    key = tracker.observe(line(e_minor, 8.0))
    assert key is not None and key.name == "G major"


def test_window_is_at_least_eight_bars() -> None:
    tracker = KeyTracker()
    memory = Memory()
    memory.extend(line(G_MAJOR_LINE * 2, 0.0))  # 16 s = 8 bars at 120 bpm
    key = tracker.update(memory, 16.0, Span(1, Unit.BARS), TB)
    assert key is not None and key.name == "G major"
