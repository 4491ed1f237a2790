"""`plan_generation`: a resolved section and what was heard → the request and the filter chain, exactly.

One exact-output test per mode (the sections compiled from YAML, so the presets are what is planned),
then the parts: the window and its density, the origin, the constraints, live params, seeds.
"""

from __future__ import annotations

import pytest

from conductor.backends.base import Constraints, GenerationRequest
from conductor.core.events import Note, Source
from conductor.core.harmony import Chord
from conductor.core.keys import make_key, parse_key
from conductor.core.seeds import derive_seed
from conductor.core.timebase import Span, Timebase, Unit
from conductor.engine.cadence import Trigger
from conductor.engine.filters import FilterContext
from conductor.engine.memory import Memory
from conductor.engine.plan import (
    Frame,
    GenerationPlan,
    Heard,
    LiveParams,
    comp_tones,
    constraints_for,
    plan_generation,
    turn_events,
    wants_detected_key,
)
from conductor.piece import load_piece_text
from conductor.piece.compiled import (
    ChordsFilter,
    DensityFilter,
    Every,
    Filter,
    FixedKey,
    KeyFilter,
    ListenSpec,
    MarkovSpec,
    ModelSpec,
    OutputSpec,
    RangeFilter,
    SamplingSpec,
    Section,
    Then,
    VelocityFilter,
)
from conductor.piece.names import Mode, Param

TB = Timebase(bpm=120)  # 0.5 s a beat, 2 s a bar
H, A = Source.HUMAN, Source.AI
FRAME = Frame(TB, ai_channel=2, program=5, seed=11)
EVERY = Trigger(3.95, 4.0, 6.0, False, "every")


def memory() -> Memory:
    mem = Memory()
    mem.extend(
        [
            Note(1.0, 0.5, 60, 90),
            Note(2.5, 0.5, 62, 80),
            Note(3.0, 0.25, 67, 70, 2, A),
            Note(3.5, 0.5, 64, 100),
        ]
    )
    return mem


HELD = (Note(3.75, 0.25, 48, 50),)


def heard(now: float = 4.0, held: tuple[Note, ...] = HELD, mem: Memory | None = None) -> Heard:
    return Heard(mem if mem is not None else memory(), held, now)


def mode_section(mode: str, extra: str = "") -> Section:
    head = "tempo: 120\nmidi: {ai_channel: 3, program: 6}\nsections:\n"
    text = head + f"  - {{name: s, mode: {mode}, length: 8 bars{extra}}}\n"
    return load_piece_text(text).sections[0]


def expected_plan(
    section: Section, request: GenerationRequest, key: object, clip: bool = False
) -> GenerationPlan:
    seed = derive_seed(FRAME.seed, request.generation)
    filtering = FilterContext(
        request.start,
        request.until,
        request.context,
        TB,
        request.human_density,
        seed,
        key,
        clip,  # type: ignore[arg-type]
    )
    return GenerationPlan(request, section.model, section.filters, filtering, key)  # type: ignore[arg-type]


def request(section: Section, **fields: object) -> GenerationRequest:
    """The request every mode test expects unless `fields` say otherwise: the window of the human (and
    the AI in duet and ai_solo) over 4 bars, held note included, the trigger's output window; the
    section's mode and answer, the human's notes of the context as the turn (all within two bars, or
    the turn, before the trigger), the tracked key G major as the human's."""
    base = GenerationRequest(
        context=(Note(1.0, 0.5, 60, 90), Note(2.5, 0.5, 62, 80), Note(3.5, 0.5, 64, 100), *HELD),
        origin=0.0,
        start=4.0,
        until=6.0,
        timebase=TB,
        max_events=section.output.events,
        sampling=SamplingSpec(seed=derive_seed(FRAME.seed, 7)),
        constraints=Constraints(channels=frozenset({2}), program=5, low=0, high=127, max_run=RUN),
        markov=MarkovSpec(),
        human_density=4 / 8.0,  # 60, 62, 64 and the held 48 over 4 bars (8 s)
        generation=7,
        role=section.mode.value,
        key=G_MAJOR,
        answer=section.answer.value,
    )
    context = fields.get("context", base.context)
    turn = tuple(n for n in context if n.source is H)  # type: ignore[attr-defined]
    values = {f: getattr(base, f) for f in base.__dataclass_fields__} | {"turn": turn} | fields
    return GenerationRequest(**values)  # type: ignore[arg-type]


G_MAJOR = make_key(7, "major")
G_PCS = G_MAJOR.pitch_classes
RUN = 3  # the human never repeats a pitch: a line may play one twice more (3 in a row)


def test_duet_plans_from_human_and_ai_in_the_detected_key() -> None:
    section = mode_section("duet")
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7)
    context = (Note(1.0, 0.5, 60, 90), Note(2.5, 0.5, 62, 80), Note(3.0, 0.25, 67, 70, 2, A),
               Note(3.5, 0.5, 64, 100), *HELD)  # fmt: skip
    constraints = Constraints(frozenset({2}), 5, 0, 127, G_PCS, max_run=RUN)
    want = request(section, context=context, constraints=constraints)
    assert plan == expected_plan(section, want, G_MAJOR)
    assert want.max_events == 16


def test_ai_chords_plans_in_its_range_from_the_human_only() -> None:
    section = mode_section("ai_chords")
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7)
    # the bar before the trigger: D, E and the held C imply E7; its tones in G major are D, E and B
    roles = {
        "group_min": 3,
        "group_max": 4,
        "spacing": 2,
        "chord_tones": frozenset({2, 4, 11}),
        "paced": True,
    }
    want = request(section, constraints=Constraints(frozenset({2}), 5, 36, 72, G_PCS, max_run=RUN, **roles))
    assert plan == expected_plan(section, want, G_MAJOR)
    assert want.max_events == 24


def test_ai_solo_plans_above_middle_c() -> None:
    section = mode_section("ai_solo")
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7)
    context = (Note(1.0, 0.5, 60, 90), Note(2.5, 0.5, 62, 80), Note(3.0, 0.25, 67, 70, 2, A),
               Note(3.5, 0.5, 64, 100), *HELD)  # fmt: skip
    line = {"monophonic": True, "group_max": 1}  # the melody filter: one line
    constraints = Constraints(frozenset({2}), 5, 60, 96, G_PCS, max_run=RUN, **line)
    want = request(section, context=context, constraints=constraints)
    assert plan == expected_plan(section, want, G_MAJOR)


def test_trading_plans_the_whole_turn_clipped_with_a_turn_budget() -> None:
    section = mode_section("trading")
    turn = Trigger(7.95, 8.0, 16.0, True, "turn")  # a 4-bar AI turn
    plan = plan_generation(section, FRAME, heard(now=7.95), G_MAJOR, LiveParams(), turn, 7)
    want = request(
        section,
        context=(
            Note(1.0, 0.5, 60, 90),
            Note(2.5, 0.5, 62, 80),
            Note(3.0, 0.25, 67, 70, 2, A),
            Note(3.5, 0.5, 64, 100),
            *HELD,
        ),
        answer="develop",
        start=8.0,
        until=16.0,
        max_events=64,  # four events a beat of the 16-beat turn (the section asks for 32)
        constraints=Constraints(frozenset({2}), 5, 36, 96, G_PCS, max_run=RUN),
    )
    assert plan == expected_plan(section, want, G_MAJOR, clip=True)


def test_listen_plans_without_a_key() -> None:
    section = mode_section("listen")
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7)
    assert plan == expected_plan(section, request(section), None)  # no key filter: the key is unused
    assert not wants_detected_key(section) and wants_detected_key(mode_section("duet"))


def test_a_fixed_key_constrains_and_no_detected_key_is_used() -> None:
    section = mode_section("ai_chords", ", filters: [{key: F major}]")
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7)
    assert plan.key is None and plan.filtering.key is None
    assert plan.request.constraints.pitch_classes == parse_key("F major").pitch_classes


def test_live_params_and_seeds() -> None:
    section = mode_section("duet", ", model: {kind: markov, sampling: {temperature: 0.8, seed: 3}}")
    params = LiveParams().with_(Param.TEMPERATURE, 1.3).with_(Param.TOP_P, 0.5)
    plan = plan_generation(section, FRAME, heard(), None, params, EVERY, 7)
    assert plan.request.sampling == SamplingSpec(temperature=1.3, top_p=0.5, top_k=20, seed=derive_seed(3, 7))
    assert plan.filtering.seed == derive_seed(11, 7)  # the engine's seed, whatever the piece's
    assert len({derive_seed(0, g) for g in range(100)}) == 100


def test_live_density_and_velocity_are_the_last_filter_stages() -> None:
    section = mode_section("ai_chords")
    params = LiveParams().with_(Param.DENSITY, 0.5).with_(Param.VELOCITY, 1.2)
    plan = plan_generation(section, FRAME, heard(), G_MAJOR, params, EVERY, 7)
    assert plan.filters == (*section.filters, DensityFilter(keep=0.5), VelocityFilter(scale=1.2))
    assert (
        plan_generation(section, FRAME, heard(), G_MAJOR, LiveParams(), EVERY, 7).filters == section.filters
    )


# ---------------------------------------------------------------- the parts


def section(
    filters: tuple[Filter, ...] = (),
    listen: ListenSpec | None = None,
    output: OutputSpec | None = None,
) -> Section:
    return Section(
        name="s",
        index=0,
        mode=Mode.DUET,
        length=None,
        then=Then(),
        listen=listen or ListenSpec(sources=frozenset({H, A}), window=Span(1, Unit.BARS), max_events=8),
        cadence=Every(),
        output=output or OutputSpec(events=12),
        filters=filters,
        model=ModelSpec(sampling=SamplingSpec(temperature=0.9, seed=3), markov=MarkovSpec(order=2)),
        silent=False,
    )


def plan(sec: Section, at: Heard, key: object = None, trigger: Trigger = EVERY) -> GenerationPlan:
    return plan_generation(sec, FRAME, at, key, LiveParams(), trigger, 0)  # type: ignore[arg-type]


def test_request_from_window_with_held_notes() -> None:
    got = plan(section(), heard()).request
    assert got == GenerationRequest(
        context=(
            Note(2.5, 0.5, 62, 80),
            Note(3.0, 0.25, 67, 70, 2, A),
            Note(3.5, 0.5, 64, 100),
            Note(3.75, 0.25, 48, 50),
        ),
        origin=2.0,
        start=4.0,
        until=6.0,
        timebase=TB,
        max_events=12,
        sampling=SamplingSpec(temperature=0.9, seed=derive_seed(3, 0)),
        constraints=Constraints(channels=frozenset({2}), program=5, max_run=RUN),
        markov=MarkovSpec(order=2),
        human_density=1.5,  # 62, 64 and the held 48 over 2 s
        generation=0,
        role="duet",
        turn=(Note(2.5, 0.5, 62, 80), Note(3.5, 0.5, 64, 100), Note(3.75, 0.25, 48, 50)),
    )


def test_empty_window_takes_the_bar_of_now() -> None:
    sec = section(listen=ListenSpec(sources=frozenset({H}), window=Span(1, Unit.SECONDS)))
    got = plan(sec, heard(now=5.5, held=(), mem=Memory()), trigger=Trigger(5.5, 5.5, 7.0)).request
    assert (got.context, got.origin, got.start, got.human_density) == ((), 4.0, 5.5, 0.0)


def test_notes_window_and_its_density() -> None:
    sec = section(listen=ListenSpec(sources=frozenset({H}), window=Span(2, Unit.NOTES)))
    got = plan(sec, heard(held=())).request
    assert got.context == (Note(2.5, 0.5, 62, 80), Note(3.5, 0.5, 64, 100))
    assert got.origin == 2.0
    assert got.human_density == pytest.approx(2 / 1.5)


def test_constraints_from_range_and_key_filters() -> None:
    d_minor = KeyFilter(FixedKey(parse_key("D minor")))
    filters: tuple[Filter, ...] = (RangeFilter(48, 84), d_minor, RangeFilter(50, 90))
    assert constraints_for(FRAME, section(filters=filters)) == Constraints(
        channels=frozenset({2}), program=5, low=50, high=84, pitch_classes=frozenset({2, 4, 5, 7, 9, 10, 0})
    )
    sec = section(filters=(KeyFilter(), VelocityFilter()))
    assert plan(sec, heard(), key=G_MAJOR).request.constraints.pitch_classes == G_PCS
    assert plan(sec, heard()).request.constraints.pitch_classes is None
    sec = section()  # a detected key without a key filter constrains nothing
    assert plan(sec, heard(), key=G_MAJOR).request.constraints.pitch_classes is None


def test_a_four_bar_turn_may_decode_four_events_a_beat() -> None:
    tb = Timebase(96.0, 4, 4)
    turn = 16 * tb.seconds_per_beat
    assert turn_events(32, 50.0, 50.0 + turn, tb) == 64
    assert turn_events(100, 50.0, 50.0 + turn, tb) == 100  # never fewer than the section asks for
    assert turn_events(8, 0.0, 0.0, tb) == 8


def test_roles_come_from_the_section_mode_and_filters() -> None:
    chords = ChordsFilter(min_notes=3, max_notes=5, spacing=1)
    sec = section(filters=(chords, DensityFilter(max_per_second=6.0), DensityFilter(max_per_second=4.0)))
    got = constraints_for(FRAME, section(sec.filters, output=OutputSpec(max_group=4)))
    assert (got.group_min, got.group_max, got.spacing, got.max_per_second) == (3, 4, 1, 4.0)
    assert got.chord_tones is None  # no chord heard: the key alone
    assert constraints_for(FRAME, section()).group_max == 8  # every mode: the default group cap
    c_major = Chord("C", frozenset({0, 4, 7}))
    assert constraints_for(FRAME, sec, chord=c_major).chord_tones == frozenset({0, 4, 7})
    assert comp_tones(c_major, G_PCS) == frozenset({0, 4, 7})
    assert comp_tones(Chord("Db", frozenset({1, 5, 8})), G_PCS) is None  # one tone in G major: the key


def test_comping_follows_the_bar_before_the_trigger() -> None:
    bar = (Note(0.0, 1.0, 65, 80), Note(1.0, 0.5, 69, 80), Note(1.5, 0.5, 72, 80))  # F A C: the IV in C
    mem = Memory()
    mem.extend([*bar, Note(2.1, 0.2, 60, 80)])  # heard later: not yet when the trigger plans
    at_bar_2 = Trigger(1.95, 2.0, 4.0, False, "every")
    got = plan(section(filters=(ChordsFilter(),)), Heard(mem, (), 2.0), trigger=at_bar_2).request
    assert got.constraints.chord_tones == frozenset({5, 9, 0})
