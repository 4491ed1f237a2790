"""Role pairs and windows from works: who plays what, phrase alternation, window budgets, the split."""

from __future__ import annotations

from dataclasses import replace

from conductor.backends.skytnt.roles import Meter, PartNote, Role
from conductor.train.batching import split_by_piece
from conductor.train.pairs import bar_lines, pairs_of, phrase_length, window_score, windows
from conductor.train.parts import Work

BAR = 4 * 480


def voice(pitch: int, bars: int, per_bar: int = 4) -> tuple[PartNote, ...]:
    step = BAR // per_bar
    return tuple(PartNote(i * step, step, pitch + (i % 3), 80) for i in range(bars * per_bar))


def chorale(bars: int = 8) -> Work:
    # parts listed out of pitch order on purpose: the melody is the highest, not the first
    parts = (voice(55, bars), voice(72, bars), voice(43, bars), voice(64, bars))
    return Work("bach:bwv1", parts, tuple(i * BAR for i in range(bars)), Meter())


def test_multi_part_work_gives_chords_solo_and_duet() -> None:
    work = chorale()
    chords, solo, duet = pairs_of(work)
    melody, alto, tenor, bass = work.parts[1], work.parts[3], work.parts[0], work.parts[2]
    assert (chords.role, solo.role, duet.role) == (Role.CHORDS, Role.SOLO, Role.DUET)
    assert chords.human == melody and set(chords.ai) == {*alto, *tenor, *bass}
    assert solo.ai == melody and solo.human == chords.ai
    assert {frozenset(duet.human), frozenset(duet.ai)} == {
        frozenset({*melody, *alto}),
        frozenset({*tenor, *bass}),
    }
    assert chords.name == "bach:bwv1 | chords"


def test_two_parts_give_no_duet() -> None:
    work = Work("piano", (voice(72, 4), voice(48, 4)), (0,), Meter())
    assert [p.role for p in pairs_of(work)] == [Role.CHORDS, Role.SOLO]


def test_trading_alternates_phrases_and_the_pickup_goes_with_the_first() -> None:
    # 2/4: phrases of 4 bars; a one-beat pickup before the first full bar (music21 puts the
    # pickup bar's line a beat before the first note: -480)
    meter = Meter(500_000, 2, 4)
    bar = 960
    tune = (PartNote(0, 480, 60, 80), *(PartNote(480 + i * bar, bar, 62 + i, 80) for i in range(16)))
    work = Work("essen:tune", (tune,), (-480, 480, 480 + bar), meter)
    (pair,) = pairs_of(work)
    assert pair.role is Role.TRADING and phrase_length(meter) == 4 and pair.phrase_bars == 4
    human = {n.pitch for n in pair.human}
    assert human == {60, 62, 63, 64, 65, 70, 71, 72, 73}
    assert {n.pitch for n in pair.ai} == {66, 67, 68, 69, 74, 75, 76, 77}
    short = Work("essen:tune", (tune,), (0, 480, 480 + bar), meter)  # a short first bar: the same
    assert pairs_of(short)[0].human == pair.human
    assert phrase_length(Meter()) == 2


def test_bar_lines_cover_the_last_note() -> None:
    work = Work("w", (voice(60, 6),), (0, BAR), Meter())
    assert bar_lines(work) == tuple(i * BAR for i in range(7))


def test_windows_keep_the_note_budget_and_overlap_by_half() -> None:
    chords = pairs_of(chorale(bars=16))[0]  # 4 + 12 notes a bar
    spans = windows(chords, max_notes=64)
    assert spans[0] == (0, 4) and all(b - a == 4 for a, b in spans)
    assert [a for a, _ in spans] == [0, 2, 4, 6, 8, 10, 12]
    rs = window_score(chords, 2, 6)
    notes = [e for track in rs.score[2:] for e in track if e[0] == "note"]
    assert len(notes) == 64 and min(e[1] for e in notes) == 0 and max(e[1] for e in notes) < 4 * BAR


def test_trading_windows_start_on_a_human_phrase() -> None:
    tune = voice(60, 32, per_bar=2)
    (pair,) = pairs_of(Work("tune", (tune,), (0,), Meter()))
    spans = windows(pair, max_notes=24)  # 12 bars of 2 notes
    assert spans and all(a % 4 == 0 for a, _ in spans)  # phrases of 2 bars: human on bars 0-1, 4-5...
    for a, b in spans:
        rs = window_score(pair, a, b)
        first = min((e for e in rs.score[2] + rs.score[3] if e[0] == "note"), key=lambda e: e[1])
        assert first[3] == 0  # the human opens every window


def test_windows_need_both_parts() -> None:
    chords = pairs_of(Work("w", (voice(72, 4), voice(48, 4)), (0,), Meter()))[0]
    assert windows(chords, 64) == [(0, 4)]
    assert windows(replace(chords, ai=()), 64) == []


def test_split_keeps_every_window_of_a_work_together() -> None:
    names = [f"bach:w{w} | {role} | {a}-{a + 4}" for w in range(40) for role in Role for a in (0, 2)]
    train, val = split_by_piece(names, 0.1, seed=3)
    held = {names[i].split(" | ")[0] for i in val}
    assert len(held) == 4
    assert not held & {names[i].split(" | ")[0] for i in train}
    assert len(val) == 4 * len(Role) * 2
