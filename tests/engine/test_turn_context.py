"""What an answer is made of: the context ends at the turn boundary, the turn just heard, the key."""

from __future__ import annotations

from conductor.core.events import Note, Source
from conductor.core.keys import make_key, parse_key
from conductor.core.timebase import Timebase
from conductor.engine.cadence import Trigger
from conductor.engine.memory import Memory
from conductor.engine.turn_context import human_key, listening, turn_heard
from conductor.piece import load_piece_text
from conductor.piece.compiled import Section

TB = Timebase(bpm=120)  # 2 s a bar
H, A = Source.HUMAN, Source.AI
AI_TURN = Trigger(7.95, 8.0, 12.0, True, "turn")  # 2-bar turns: the human's 4..8, the AI's 8..12
NOTES = [
    Note(1.0, 1.0, 55, 70, 2, A),  # the AI's last turn
    Note(4.5, 0.5, 60, 90),
    Note(6.0, 0.5, 62, 90),
    Note(7.5, 1.0, 64, 90),  # rings across the boundary
    Note(8.25, 0.5, 67, 90),  # played after it (the trigger was polled late)
]


def section(mode: str, extra: str = "") -> Section:
    text = f"tempo: 120\nsections:\n  - {{name: s, mode: {mode}, length: 8 bars{extra}}}\n"
    return load_piece_text(text).sections[0]


def memory() -> Memory:
    mem = Memory()
    mem.extend(NOTES)
    return mem


def test_a_trading_context_ends_at_the_turn_boundary_with_both_parts() -> None:
    trading = section("trading", ", turns: {bars: 2}, listen: {window: 4 bars}")
    got = listening(trading, memory(), (), 8.5, AI_TURN, TB)
    assert got == (NOTES[0], NOTES[1], NOTES[2], Note(7.5, 0.5, 64, 90))
    assert max(n.end for n in got) <= AI_TURN.start


def test_a_note_still_held_is_cut_at_the_boundary() -> None:
    duet = section("duet")
    held = (Note(7.0, 2.0, 48, 60),)  # held since 7.0, its duration so far reaching past the boundary
    got = listening(duet, Memory(), held, 8.5, Trigger(8.0, 8.0, 10.0), TB)
    assert got == (Note(7.0, 1.0, 48, 60),)


def test_other_modes_listen_up_to_now() -> None:
    chords = section("ai_chords")
    got = listening(chords, memory(), (), 8.5, AI_TURN, TB)
    assert got == tuple(n for n in NOTES if n.source is H)


def test_the_turn_is_the_humans_last_turn_or_last_two_bars() -> None:
    trading = section("trading", ", turns: {bars: 1}")
    context = tuple(NOTES[:4])
    assert turn_heard(trading, context, AI_TURN, TB) == (NOTES[2], NOTES[3])  # 1-bar turns: from 6.0
    assert turn_heard(section("duet"), context, AI_TURN, TB) == (NOTES[1], NOTES[2], NOTES[3])


def test_the_humans_key_is_the_sections_fixed_key_else_the_tracked_one() -> None:
    g_major = make_key(7, "major")
    assert human_key(section("duet"), g_major) == g_major
    fixed = section("ai_chords", ", filters: [{key: F major}]")
    assert human_key(fixed, g_major) == parse_key("F major")
    assert human_key(section("duet"), None) is None
