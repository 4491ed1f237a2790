"""Property: whatever was learnt, generated notes meet the request's constraints and window."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markov_helpers import melody, request

from conductor.backends.base import Constraints
from conductor.backends.markov import MarkovModel
from conductor.core.events import Note, Source
from conductor.piece.compiled import MarkovSpec

pitches = st.lists(st.integers(0, 127), min_size=2, max_size=40)  # two notes: one step learnt


@st.composite
def constraints(draw: st.DrawFn) -> Constraints:
    low = draw(st.integers(0, 127))
    high = draw(st.integers(low, 127))
    pcs = draw(st.none() | st.frozensets(st.integers(0, 11), min_size=1))
    channels = draw(st.frozensets(st.integers(0, 15), min_size=1, max_size=3))
    return Constraints(channels=channels, low=low, high=high, pitch_classes=pcs)


@settings(max_examples=60, deadline=None)
@given(
    heard=pitches,
    context=pitches,
    cons=constraints(),
    seed=st.integers(0, 2**32),
    order=st.integers(0, 5),
    away=st.sampled_from([0, 7, 12]),
    chords=st.booleans(),
)
def test_output_meets_every_constraint(
    heard: list[int], context: list[int], cons: Constraints, seed: int, order: int, away: int, chords: bool
) -> None:
    model = MarkovModel(MarkovSpec(order=order))
    notes = melody(heard, ioi=0.25)
    if chords:  # a chord tone a fifth below each note
        notes += [n.with_(pitch=max(0, n.pitch - 7)) for n in notes]
    model.observe(notes)
    spec = MarkovSpec(order=order, transpose_away=away, complement=True)
    req = request(
        melody(context, start=20),
        start=31.0,
        until=35.0,
        max_events=24,
        seed=seed,
        constraints=cons,
        markov=spec,
        human_density=3.0,
    )
    out = list(model.generate(req))
    assert all(cons.allows(n.pitch, n.channel) for n in out)
    assert all(req.start <= n.onset <= req.until and n.source is Source.AI for n in out)
    assert [n.onset for n in out] == sorted(n.onset for n in out)
    assert len(out) <= req.max_events
    assert {n.channel for n in out} <= {min(cons.channels)}
    in_range = [
        p
        for p in range(cons.low, cons.high + 1)
        if cons.pitch_classes is None or p % 12 in cons.pitch_classes
    ]
    if in_range:  # something is allowed: the model always finds it (backing off to the nearest pitch)
        assert out and isinstance(out[0], Note)
