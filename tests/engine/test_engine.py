"""Engine on a virtual clock: streaming, model errors, mappings, mute/panic, reload, key per generation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import mido

from conductor.backends.base import GenerationRequest
from conductor.backends.scripted import ScriptedModel
from conductor.core.events import Note, Source
from conductor.core.keys import detect_key
from conductor.engine.clock import VirtualClock
from conductor.engine.engine import Engine
from conductor.engine.runner import InlineRunner
from conductor.engine.take_events import ModelFailed, ParamSet, ReloadApplied
from conductor.engine.timing import Latency
from conductor.piece.compiled import (
    Action,
    ActionMapping,
    KeyFilter,
    MidiTrigger,
    Mode,
    ParamMapping,
    Piece,
    TriggerKind,
)
from conductor.piece.names import Param
from conductor.rehearse.take import Take
from tests.engine.pieces import bars, piece, section


class Recording(ScriptedModel):
    """The scripted model, keeping every request it was given."""

    def __init__(self, pattern: str = "arpeggio", fail_after: int = 0) -> None:
        super().__init__(pattern, fail_after)
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        self.requests.append(request)
        return super().generate(request)


FAST = Latency(0.02, 0.002)


def make(
    p: Piece, model: ScriptedModel | None = None, latency: Latency = FAST
) -> tuple[VirtualClock, Engine, Take]:
    """A virtual clock, an engine playing `p` with the scripted model, and its take."""
    clock = VirtualClock()
    take = Take()
    runner = InlineRunner(model or ScriptedModel(), clock, latency)
    return clock, Engine(p, clock, runner, recorder=take, lead=0.1), take


def run_until(
    clock: VirtualClock, engine: Engine, end: float, inputs: Sequence[tuple[float, mido.Message]] = ()
) -> None:
    queue = list(inputs)
    t = clock.now()
    while t <= end:
        while queue and queue[0][0] <= t:
            engine.on_message(queue.pop(0)[1], t)
        wake = engine.step(t)
        engine.drain(t)
        times = [x for x in (wake, engine.scheduler.next_deadline(), queue[0][0] if queue else None) if x]
        if not times:
            break
        t = min(times)
        clock.advance_to(t)


def balanced(messages: list[tuple[float, mido.Message]]) -> bool:
    """Every note-on closed by a later note-off, never two same-pitch notes at once on a channel."""
    sounding: set[tuple[int, int]] = set()
    for _, msg in messages:
        key = (getattr(msg, "channel", 0), getattr(msg, "note", -1))
        if msg.type == "note_on" and msg.velocity > 0:
            if key in sounding:
                return False
            sounding.add(key)
        elif msg.type == "note_off":
            sounding.discard(key)
    return not sounding


def test_first_note_is_scheduled_while_the_generation_still_decodes() -> None:
    clock, engine, _ = make(piece(section("a", length=None)), latency=Latency(0.05, 0.2))
    run_until(clock, engine, 1.95)  # asked at 1.9; first note decoded at 1.95
    assert engine.turns.running  # still decoding
    assert engine.scheduler.pending_count() == 1
    assert engine.drain(2.0)[0][1] == mido.Message("note_on", channel=2, note=60, velocity=60)


def test_a_model_error_closes_its_notes_and_the_music_goes_on() -> None:
    clock, engine, take = make(piece(section("a", length=None)), ScriptedModel("fail", 3))
    run_until(clock, engine, 9.0)
    engine.stop(9.0)
    engine.drain(9.0)
    errors = [e for _, e in take.of(ModelFailed)]
    assert len(errors) == 4
    assert errors[0] == ModelFailed(0, "a", "RuntimeError: scripted failure after 3 notes")
    assert engine.stats["a"].errors == 4 and engine.stats["a"].generations == 4
    assert balanced(take.ai_messages)


def test_footswitch_cc_and_param_mappings() -> None:
    actions = (ActionMapping(MidiTrigger(TriggerKind.CC, 80), Action.NEXT),)
    params = (ParamMapping(1, "temperature", 0.5, 1.5),)
    p = piece(section("a", length=None), section("b", length=None), actions=actions, params=params)
    clock, engine, take = make(p)
    cc = [mido.Message("control_change", control=c, value=v) for c, v in ((1, 127), (80, 127), (80, 0))]
    run_until(clock, engine, 6.0, [(0.5, cc[0]), (2.5, cc[1]), (3.0, cc[2])])
    assert take.sections == [(0.0, "a"), (4.0, "b")]
    assert take.presses == [(2.5, "next", None)]
    assert take.human_messages == []
    assert {g.temperature for g in take.generations} == {1.5}


def test_live_density_and_velocity_shape_the_next_generation_through_the_filter_stages() -> None:
    params = (ParamMapping(7, Param.VELOCITY, 0.0, 1.0), ParamMapping(11, Param.DENSITY, 0.0, 1.0))
    clock, engine, take = make(piece(section("a", length=None), params=params))
    half = mido.Message("control_change", control=7, value=127 // 2)  # a velocity scale of 63/127
    run_until(clock, engine, 3.9, [(0.5, half)])
    ons = [m.velocity for _, m in take.ai_messages if m.type == "note_on"]
    assert ons[:4] == [round(v * 63 / 127) for v in (60, 65, 70, 75)]  # the arpeggio's own, scaled
    silence = mido.Message("control_change", control=11, value=0)  # keep nothing from the next one on
    run_until(clock, engine, 8.0, [(4.5, silence)])
    assert [g.start for g in take.generations] == [2.0, 6.0, 8.0]  # 4.0 skipped: the first still sounded
    assert max(t for t, m in take.ai_messages if m.type == "note_on") == 4.0  # the last two kept nothing
    velocity, density = ParamSet(Param.VELOCITY, 63 / 127), ParamSet(Param.DENSITY, 0.0)
    assert take.of(ParamSet) == [(0.5, velocity), (4.5, density)]


def test_mute_silences_at_once_and_panic_sends_all_notes_off() -> None:
    clock, engine, _ = make(piece(section("a", length=None)))
    run_until(clock, engine, 2.3)
    assert engine.scheduler.sounding()
    engine.press(Action.MUTE, 2.3)
    assert engine.drain(2.3) == [(2.3, mido.Message("note_off", channel=2, note=60, velocity=0)),
                                 (2.3, mido.Message("note_off", channel=2, note=61, velocity=0))]  # fmt: skip
    engine.press(Action.MUTE, 2.4)
    run_until(clock, engine, 6.2)
    engine.press(Action.PANIC, 6.2)
    released = engine.drain(6.2)
    assert released[-1] == (6.2, mido.Message("control_change", channel=2, control=123, value=0))
    assert engine.scheduler.sounding() == [] and engine.scheduler.pending_count() == 0


def test_reload_lands_on_the_bar_and_keeps_the_section_by_name() -> None:
    p = piece(section("a", length=bars(8)), section("b"))
    clock, engine, take = make(p)
    run_until(clock, engine, 2.5)
    assert engine.scheduler.sounding()
    new = piece(section("intro"), section("a", length=bars(3)), section("c"))
    engine.reload(new, 2.5)
    run_until(clock, engine, 4.5)
    assert take.of(ReloadApplied) == [(4.0, ReloadApplied("test", "a"))]
    assert engine.section is not None and engine.section.index == 1
    run_until(clock, engine, 7.0)
    assert take.sections == [(0.0, "a"), (6.0, "c")]  # a's new length counts from its old start
    engine.stop(7.0)
    assert balanced(take.ai_messages + engine.drain(7.0))


def test_key_detected_once_per_generation_and_sent_as_constraint() -> None:
    model = Recording()
    p = piece(section("a", length=None, filters=(KeyFilter(),)))
    clock, engine, take = make(p, model)
    tune = [48, 60, 64, 67, 65, 62, 71, 72, 67, 60]
    inputs = []
    for i, pitch in enumerate(tune):
        inputs.append((i * 0.18, mido.Message("note_on", note=pitch, velocity=80)))
        inputs.append((i * 0.18 + (0.6 if pitch % 12 == 0 else 0.1), mido.Message("note_off", note=pitch)))
    inputs.sort(key=lambda item: item[0])
    run_until(clock, engine, 2.5, inputs)
    assert len(take.generations) == len(model.requests) == 1
    key = detect_key(model.requests[0].context)
    assert key is not None and take.generations[0].key == key.name
    assert model.requests[0].constraints.pitch_classes == key.pitch_classes
    played = {n.pitch % 12 for n in take.notes(Source.AI)}
    assert played and played <= key.pitch_classes  # the scripted model ignores keys: the filter snapped


def test_notes_arriving_after_their_onset_are_dropped_and_counted() -> None:
    clock, engine, take = make(piece(section("a", length=None)), latency=Latency(0.6, 0.01))
    run_until(clock, engine, 3.9)
    # asked at 1.9 for notes from 2.0; they arrive from 2.5 on: those at 2.0, 2.25 and 2.5 are too late
    assert engine.stats["a"].dropped_late == 3
    assert take.ai_messages[0] == (2.75, mido.Message("note_on", channel=2, note=66, velocity=75))


EXPRESSION = [
    mido.Message("pitchwheel", pitch=-2048),
    mido.Message("aftertouch", value=70),
    mido.Message("polytouch", note=60, value=50),
    mido.Message("program_change", program=5),
]


def test_the_human_s_bends_aftertouch_and_program_changes_are_in_the_take() -> None:
    clock, engine, take = make(piece(section("a", length=None, mode=Mode.LISTEN)))
    note = [mido.Message("note_on", note=60, velocity=80), mido.Message("note_off", note=60)]
    played = [note[0], *EXPRESSION, note[1]]
    run_until(clock, engine, 2.0, [(0.5 + i / 10, m) for i, m in enumerate(played)])
    assert [m for _, m in take.human_messages] == played
    assert engine.stats["a"].notes_in == 1
    assert [(n.pitch, n.onset) for n in engine.memory.notes(Source.HUMAN)] == [(60, 0.5)]  # only the note
    human = [m for m in take.to_midi(engine.piece).tracks[1] if not m.is_meta]
    assert [m.type for m in human] == ["note_on", *(m.type for m in EXPRESSION), "note_off"]


def test_a_clock_beat_leads_the_tracked_grid_and_human_onsets_do_not_move_it() -> None:
    _, engine, _ = make(piece(section("a")))
    engine.clock_beat(1.0, 100.0)
    beats = engine.answering.beats
    assert beats is not None and beats.confident
    assert (beats.anchor, beats.bpm) == (1.0, 100.0)
    engine.on_message(mido.Message("note_on", note=60, velocity=80), 1.65)
    assert (beats.anchor, beats.bpm) == (1.0, 100.0)
    engine.clock_lost()
    engine.on_message(mido.Message("note_on", note=62, velocity=80), 2.25)  # 50 ms after beat 2
    assert beats.bpm == 100.0 and beats.anchor > 2.2  # the last tempo stays; onsets move it again
