"""No note-on without its note-off in any take, whatever the footswitch does (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conductor.piece.compiled import Action
from conductor.rehearse import Press
from tests.rehearse.helpers import balanced, human, load, run

PIECE = load(
    """
title: presses
tempo: 96
meter: 4/4
changes_on: beat
model: {kind: scripted, config: arpeggio}
midi: {ai_channel: 3}
sections:
  - {name: duet, mode: duet, length: 4 bars}
  - {name: fours, mode: trading, length: 8 bars, turns: {bars: 2, starts: human}}
  - {name: comp, mode: ai_chords, length: footswitch, model: {kind: scripted, config: chords}}
  - {name: solo, mode: ai_solo, length: 4 bars, on_exit: ring}
  - {name: free, mode: duet, length: 2 bars, then: {goto: duet}, cadence: {every: 1 beat, overlap: overlap}}
"""
)
PART = human(60)
SECTIONS = [s.name for s in PIECE.sections] + ["nowhere"]

presses = st.lists(
    st.builds(
        Press,
        st.floats(0, 62, allow_nan=False).map(lambda t: round(t, 3)),
        st.sampled_from(list(Action)),
        st.sampled_from(SECTIONS),
    ),
    max_size=25,
).map(lambda ps: tuple(sorted(ps, key=lambda p: p.t)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(presses=presses, seed=st.integers(0, 3))
def test_random_presses_never_leave_a_note_sounding(presses: tuple[Press, ...], seed: int) -> None:
    result = run(PIECE, PART, presses, seed=seed)
    assert balanced(result.take.ai_messages)
    assert result.engine.scheduler.sounding() == []
    assert result.engine.scheduler.pending_count() == 0
