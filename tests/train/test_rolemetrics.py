"""Role checks on hand-made parts, and live-like evaluation cases cut from pairs and players' files."""

from __future__ import annotations

import math

import pytest

from conductor.backends.skytnt.roles import Meter, PartNote, Role
from conductor.train.metrics import NoteEvent
from conductor.train.pairs import Pair
from conductor.train.rolecases import case_at, pair_case, player_cases
from conductor.train.rolemetrics import (
    answer_overlap,
    grid_step,
    interval_ngrams,
    on_grid,
    pc_cosine,
    role_checks,
    top_line,
)
from conductor.train.rolesystems import random_answer, span_16ths


def line(pitches: list[int], step: float = 0.5, start: float = 0.0) -> list[NoteEvent]:
    return [NoteEvent(start + i * step, p) for i, p in enumerate(pitches)]


def test_top_line_takes_the_highest_note_of_each_onset() -> None:
    notes = [NoteEvent(0, 60), NoteEvent(0, 67), NoteEvent(1, 62), NoteEvent(1, 55), NoteEvent(0.5, 64)]
    assert top_line(notes) == [67, 64, 62]


def test_answer_overlap_counts_motifs_in_any_key() -> None:
    phrase = line([60, 62, 64, 65, 67])  # intervals 2 2 1 2
    assert interval_ngrams(phrase) == [(2, 2, 1), (2, 1, 2)]
    transposed = line([65, 67, 69, 70, 60, 50])  # (2 2 1) reused a fourth up, then (2 1 -10) (1 -10 -10)
    assert answer_overlap(transposed, phrase) == pytest.approx(1 / 3)
    assert answer_overlap(line([60, 61]), phrase) != answer_overlap(line([60, 61]), phrase)  # NaN


def test_pc_cosine() -> None:
    c_major = line([60, 64, 67, 72])
    assert pc_cosine(c_major, line([48, 52, 55])) == pytest.approx(4 / math.sqrt(6 * 3))  # C twice
    assert pc_cosine(c_major, line([61, 66])) == 0.0
    assert math.isnan(pc_cosine(c_major, []))


def test_grid_step_and_on_grid() -> None:
    eighths = line([60] * 8, step=0.5)
    assert grid_step(eighths) == 0.5
    assert grid_step(line([60] * 4, step=1.0)) == 1.0
    ai = [NoteEvent(0.5, 60), NoteEvent(0.75, 62), NoteEvent(2.0, 64), NoteEvent(3.25, 65)]
    assert on_grid(ai, eighths) == 0.5
    assert math.isnan(on_grid([], eighths))


def test_role_checks_key_and_phrase() -> None:
    human = line([60, 62, 64, 65, 67, 69, 71, 72])
    checks = role_checks(human, line([64, 65, 67, 61]), phrase=human)
    assert checks["in_key"] == 0.75 and checks["notes"] == 4.0
    assert checks["answer_overlap"] == 0.0  # (1, 2, -6) is nowhere in the scale
    assert math.isnan(role_checks(human, line([64]))["answer_overlap"])


BAR = 1920


def tune_pair() -> Pair:
    human = tuple(PartNote(b * BAR + i * 480, 480, 60 + i, 80) for b in (0, 1, 4, 5, 8, 9) for i in range(4))
    ai = tuple(PartNote(b * BAR + i * 480, 480, 67 - i, 80) for b in (2, 3, 6, 7, 10, 11) for i in range(4))
    bars = tuple(i * BAR for i in range(13))
    return Pair("essen:t | trading", Role.TRADING, human, ai, bars, Meter(), 2)


def test_trading_case_cuts_at_the_middle_ai_phrase() -> None:
    case = pair_case(tune_pair())
    assert case is not None and case.role is Role.TRADING
    # AI phrases start at bars 2, 6, 10: the middle one; the prompt is up to 8 bars before it
    assert (case.cut, case.end, case.phrase_start) == (6 * BAR, 8 * BAR, 4 * BAR)
    assert [n.pitch for n in case.reference] == [67, 66, 65, 64] * 2
    phrase = case.phrase()
    assert phrase is not None and [n.pitch for n in phrase] == [60, 61, 62, 63] * 2
    assert len(case.ai_prompt) == 8 and all(n.start < case.cut for n in case.ai_prompt)
    assert span_16ths(case) == (6 * 64, 8 * 64 - 1)


def test_case_prompt_starts_on_a_bar_line_and_keeps_the_note_budget() -> None:
    case = case_at(tune_pair(), 10, 2, "x")
    assert case is not None and case.cut == 8 * BAR  # bars 2..9 before the cut: eight bars
    assert min(n.start for n in case.ai_prompt) == 0 and min(n.start for n in case.human) == 2 * BAR
    small = case_at(tune_pair(), 10, 2, "x", max_notes=12)
    assert small is not None and small.cut == 3 * BAR  # bars 7..9: twelve notes


def test_player_cases_and_random_answer() -> None:
    notes = [PartNote(b * BAR + i * 480, 480, 67 + i, 80) for b in range(20) if b % 8 < 4 for i in range(4)]
    cases = player_cases("mark", notes, Meter())
    trading = [c for c in cases if c.role is Role.TRADING]
    assert [c.name for c in trading] == ["mark | trading @4", "mark | trading @12"]
    assert all(not c.reference and not c.ai_prompt for c in cases)
    answer = random_answer(trading[0], seed=1)
    first, last = span_16ths(trading[0])
    assert answer and all(first <= n.onset * 16 <= last and 67 <= n.pitch <= 70 for n in answer)


def test_systems_answer_inside_the_span_on_the_ai_channel_and_rows_are_summed_up() -> None:
    from conductor.backends.markov.backend import MarkovModel
    from conductor.piece.compiled import ModelSpec
    from conductor.train import modelio
    from conductor.train.roleeval import run_cases
    from conductor.train.rolesystems import RoleFormatModel, backend_answer, reference_answer

    case = pair_case(tune_pair())
    assert case is not None
    tiny = RoleFormatModel(modelio.new_model("tiny", seed=1).eval(), dtype="float32")
    start, end = case.cut / 480, case.end / 480
    for answer in (
        tiny.answer(case, seed=3),
        backend_answer(MarkovModel.from_spec(ModelSpec(kind="markov")), case, seed=3),
    ):
        assert all(start <= n.onset < end and n.channel == 1 for n in answer)
    named = {"written": lambda c, s: reference_answer(c), "tiny": tiny.answer, "random": random_answer}
    rows = run_cases("held-out", [case], named, seed=0)
    assert [(r["system"], r["role"]) for r in rows] == [
        ("written", "trading"),
        ("tiny", "trading"),
        ("random", "trading"),
        ("written", "all"),
        ("tiny", "all"),
        ("random", "all"),
    ]
    written = rows[0]
    assert written["cases"] == 1 and written["answer_overlap"] == 0.0 and written["on_grid"] == 1.0


def test_the_bundled_player_gives_cases_for_every_role() -> None:
    from pathlib import Path

    from conductor.train.roleeval import read_player

    notes, meter = read_player(Path(__file__).parents[2] / "examples" / "mark_human.mid")
    assert meter == Meter(625_000, 4, 4) and len(notes) > 400  # 96 bpm, 4/4
    cases = player_cases("mark", notes, meter)
    trading = [c.name for c in cases if c.role is Role.TRADING]
    assert trading == [f"mark | trading @{b}" for b in (20, 28, 36, 44)]  # bars 17-48: trading fours
    assert {c.role for c in cases} == set(Role)


def test_key_mass_is_read_at_every_written_ai_note_of_the_span() -> None:
    from conductor.train import modelio
    from conductor.train.keymass import key_mass, mean_key_mass

    case = pair_case(tune_pair())
    assert case is not None
    model = modelio.new_model("tiny", seed=1).eval()
    tok = modelio.tokenizer_of(model)
    masses = key_mass(model, tok, case)
    assert len(masses) == len(case.reference) == 8
    assert all(0.0 < m < 1.0 for m in masses)
    assert mean_key_mass(model, tok, [case]) == pytest.approx(sum(masses) / 8)


def test_a_common_key_model_reads_the_case_in_c_and_answers_in_the_players_key() -> None:
    from conductor.backends.skytnt.roles import KEY_COMMON
    from conductor.train import modelio
    from conductor.train.rolesystems import RoleFormatModel, human_shift

    g_major = (67, 71, 74, 72, 69, 66, 67, 62)
    human = tuple(PartNote(b * BAR + i * 240, 240, p, 80) for b in range(8) for i, p in enumerate(g_major))
    pair = Pair("g | chords", Role.CHORDS, human, (), tuple(i * BAR for i in range(9)), Meter())
    case = case_at(pair, 6, 2, "g")
    assert case is not None and human_shift(case) == 5
    model = RoleFormatModel(modelio.new_model("tiny", seed=1).eval(), dtype="float32", key=KEY_COMMON)
    answer = model.answer(case, seed=2)
    assert all(6 * 4 <= n.onset < 8 * 4 for n in answer)
