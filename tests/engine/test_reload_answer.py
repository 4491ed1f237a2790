"""A reload that leaves the playing section as it was lets the running answer play on, and sends the
program change again only when the routing changed (issue 10 follow-up: an answer cut short and a
program change re-sent at every save)."""

from __future__ import annotations

from dataclasses import replace

import mido

from conductor.engine.take_events import ReloadApplied
from conductor.piece.compiled import Piece
from tests.engine.pieces import bars, piece, section
from tests.engine.test_engine import make, run_until

PIECE = piece(section("a", length=bars(8)), section("b", length=bars(8)))


def with_program(p: Piece, program: int | None) -> Piece:
    return replace(p, routing=replace(p.routing, program=program))


def played(reloaded: Piece | None, first: Piece = PIECE) -> tuple[list[tuple[float, mido.Message]], list]:
    """The AI's messages of 11 s of `first`, with `reloaded` saved at 5.95 s (None: no save)."""
    clock, engine, take = make(first)
    run_until(clock, engine, 5.95)
    if reloaded is not None:
        engine.reload(reloaded, 5.95)
    run_until(clock, engine, 11.0)
    engine.stop(11.0)
    return take.ai_messages + engine.drain(99.0), take.of(ReloadApplied)


def test_an_edit_elsewhere_leaves_the_running_answer_whole() -> None:
    elsewhere = replace(
        PIECE, title="retitled", sections=(PIECE.sections[0], replace(PIECE.sections[1], length=bars(2)))
    )
    messages, applied = played(elsewhere)
    assert applied == [(6.0, ReloadApplied("retitled", "a"))]
    assert messages == played(None)[0]  # not one note cut, moved or added


def test_an_edit_of_the_playing_section_cuts_its_answer() -> None:
    here = replace(PIECE, sections=(replace(PIECE.sections[0], length=bars(9)), PIECE.sections[1]))
    messages, _ = played(here)
    assert messages != played(None)[0]


def test_the_program_change_goes_again_only_when_the_routing_changed() -> None:
    five = with_program(PIECE, 5)

    def programs(reloaded: Piece) -> list[tuple[float, int]]:
        return [(t, m.program) for t, m in played(reloaded, five)[0] if m.type == "program_change"]

    assert programs(replace(five, title="retitled")) == [(0.0, 5)]  # sent at the start, not again
    assert programs(with_program(PIECE, 7)) == [(0.0, 5), (6.0, 7)]
