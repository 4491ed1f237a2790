"""Musical time helpers."""

from __future__ import annotations

from conductor.core.timebase import Timebase, bar_origin

TB = Timebase(bpm=120)  # 0.5 s a beat, 2 s a bar


def test_bar_origin() -> None:
    assert [bar_origin(t, TB) for t in (0.0, 1.99, 2.0, 5.0, -1.0)] == [0.0, 0.0, 2.0, 4.0, 0.0]
    assert bar_origin(2.0 - 1e-12, TB) == 2.0  # float noise just below a bar line
