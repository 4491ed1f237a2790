"""MarkovModel: exact continuations, back-off, behaviours, online learning, save/load."""

from __future__ import annotations

from pathlib import Path

import pytest
from markov_helpers import melody, request

from conductor.backends.base import Constraints, Model, ModelError
from conductor.backends.factory import build_model
from conductor.backends.markov import MarkovModel
from conductor.backends.markov.generate import MAX_COPY_RUN
from conductor.core.events import Note, Source
from conductor.piece.compiled import MarkovSpec, ModelSpec

CDE = [60, 62, 64, 60, 62, 64]


def learnt(pitches: list[int] = CDE, **spec: object) -> MarkovModel:
    model = MarkovModel(MarkovSpec(order=2, **spec))  # type: ignore[arg-type]
    model.observe(melody(pitches))
    return model


def pitches(notes: list[Note]) -> list[int]:
    return [n.pitch for n in notes]


def test_factory_builds_a_markov_model() -> None:
    model = build_model(ModelSpec(kind="markov"))
    assert isinstance(model, MarkovModel)
    assert isinstance(model, Model)


def test_order_two_context_e_c_d_always_continues_with_e() -> None:
    # an order-2 context holds two steps, i.e. three notes: E→C (-4), C→D (+2); it was followed by +2
    model = learnt()
    firsts = {
        pitches(list(model.generate(request(melody([64, 60, 62], start=10), seed=s))))[0] for s in range(30)
    }
    assert firsts == {64}


def test_a_deterministic_context_continues_exactly_on_the_request_clock() -> None:
    out = list(learnt().generate(request(melody([64, 60, 62], start=10), max_events=6, seed=3)))
    assert [(n.onset, n.pitch) for n in out] == [(12.0 + 0.5 * i, p) for i, p in enumerate([64, 60, 62] * 2)]
    assert {(n.duration, n.velocity, n.channel, n.source) for n in out} == {(0.375, 72, 0, Source.AI)}


def test_after_max_copy_run_single_choices_the_line_must_leave_the_remembered_path() -> None:
    out = pitches(list(learnt().generate(request(melody([64, 60, 62], start=10), max_events=12, seed=0))))
    cycle = [64, 60, 62] * 4
    assert out[:MAX_COPY_RUN] == cycle[:MAX_COPY_RUN]
    # step MAX_COPY_RUN+1 excludes +2 (the only continuation of every context): the unigram gives -4
    assert out[MAX_COPY_RUN] == out[MAX_COPY_RUN - 1] - 4


def test_unseen_context_backs_off_to_the_unigram() -> None:
    model = learnt()  # steps heard: +2 four times, -4 once; +6 never
    firsts = [
        next(iter(model.generate(request(melody([60, 66], start=10), seed=s)))).pitch for s in range(40)
    ]
    assert set(firsts) == {66 + 2, 66 - 4}
    assert firsts.count(68) > firsts.count(62)


def test_same_seed_same_generation_different_generation_id_differs() -> None:
    model = learnt([60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 62, 60, 67])
    req = request(melody([60, 62], start=10), max_events=16, seed=11)
    assert list(model.generate(req)) == list(model.generate(req))
    other = request(melody([60, 62], start=10), max_events=16, seed=2)
    assert list(model.generate(req)) != list(model.generate(other))


def test_window_and_max_events_are_honoured() -> None:
    out = list(
        learnt().generate(request(melody([64, 60, 62], start=10), start=12.0, until=13.1, max_events=9))
    )
    assert [n.onset for n in out] == [12.0, 12.5, 13.0]
    assert len(list(learnt().generate(request(melody([64, 60, 62]), max_events=2)))) == 2


def test_nothing_learnt_and_no_context_plays_nothing() -> None:
    assert list(MarkovModel().generate(request([]))) == []


def test_nothing_learnt_continues_the_context_itself() -> None:
    out = MarkovModel(MarkovSpec(order=2)).generate(request(melody([60, 62, 64, 60, 62, 64]), max_events=3))
    assert pitches(list(out)) == [60, 62, 64]


def test_transpose_away_goes_up_an_octave_when_the_human_plays_low() -> None:
    model = learnt(transpose_away=12)
    low = request(melody([52, 48, 50], start=10), markov=MarkovSpec(order=2, transpose_away=12))
    assert pitches(list(model.generate(low))) == [64, 60, 62] * 2


def test_transpose_away_goes_down_when_the_human_plays_high() -> None:
    model = learnt()
    high = request(melody([88, 84, 86], start=10), markov=MarkovSpec(order=2, transpose_away=12))
    assert pitches(list(model.generate(high))) == [76, 72, 74] * 2


def test_complement_density_halves_the_output_when_the_human_plays_two_notes_a_second() -> None:
    req = request(
        melody([64, 60, 62], start=10), human_density=2.0, markov=MarkovSpec(order=2, complement=True)
    )
    out = list(learnt().generate(req))
    assert [(n.onset, n.pitch) for n in out] == [(12.0, 64), (13.0, 60), (14.0, 62)]


def test_follow_off_continues_the_ai_s_own_line() -> None:
    ai = melody([76, 72, 74], start=10, source=Source.AI)
    human = melody([40, 41, 42], start=10.1)
    req = request(sorted(ai + human, key=lambda n: n.onset), markov=MarkovSpec(order=2, follow=False))
    assert pitches(list(learnt().generate(req)))[:3] == [76, 72, 74]


def test_notes_arriving_in_completion_order_are_learnt_as_played() -> None:
    a, b = MarkovModel(MarkovSpec(order=2)), MarkovModel(MarkovSpec(order=2))
    notes = melody([60, 62, 64, 60, 62, 64])
    held = notes[0].with_(duration=1.2)  # ends after the next two notes
    a.observe([*notes[1:3], held, *notes[3:]])
    b.observe([held, *notes[1:]])
    req = request(melody([64, 60, 62], start=10), max_events=3)
    assert list(a.generate(req)) == list(b.generate(req))
    assert a.live.to_json() == b.live.to_json()


def test_a_note_too_late_to_reorder_is_counted_not_learnt() -> None:
    model = MarkovModel(MarkovSpec(order=2))
    model.observe(melody([60, 62, 64, 65, 67]))
    model.observe([Note(0.1, 3.0, 48, 80)])
    assert model._learner.late == 1


def test_ai_notes_are_learnt_only_when_asked() -> None:
    ai = melody([60, 62, 64, 60, 62, 64], source=Source.AI)
    deaf, hearing = MarkovModel(MarkovSpec(order=2)), MarkovModel(MarkovSpec(order=2, learn_from_ai=True))
    for model in (deaf, hearing):
        model.observe(ai)
        list(model.generate(request([], max_events=1)))
    assert (deaf.live.events, hearing.live.events) == (0, 5)


def test_save_load_round_trip_generates_identically_and_keeps_learning(tmp_path: Path) -> None:
    model = learnt([60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 62, 60, 67])
    req = request(melody([60, 62, 64], start=10), max_events=16, seed=4)
    before = list(model.generate(req))
    model.save(tmp_path / "take.markov.json")
    again = MarkovModel.load(tmp_path / "take.markov.json")
    assert list(again.generate(req)) == before
    more = melody([72, 71, 69, 67], start=20)
    model.observe(more)
    again.observe(more)
    assert list(again.generate(req)) == list(model.generate(req))
    assert again.live.to_json() == model.live.to_json()


def test_from_spec_loads_the_state_relative_to_the_piece(tmp_path: Path) -> None:
    learnt().save(tmp_path / "m.json")  # saved before any request told it the tempo
    model = MarkovModel.from_spec(ModelSpec(markov=MarkovSpec(order=2, state=Path("m.json"))), tmp_path)
    assert model.live.events == 0
    list(model.generate(request([], max_events=1)))  # the tempo arrives: the saved notes are learnt
    assert model.live.events == 5


def test_missing_or_bad_state_raises_a_model_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"markov state .*nope\.json not found"):
        MarkovModel.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(ModelError, match=r"cannot load markov state .*bad\.json"):
        MarkovModel.load(tmp_path / "bad.json")


def test_no_channel_allowed_plays_nothing() -> None:
    req = request(melody([64, 60, 62]), constraints=Constraints(channels=frozenset()))
    assert list(learnt().generate(req)) == []
