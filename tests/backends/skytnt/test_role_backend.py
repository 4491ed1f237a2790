"""A role-format model in the live backend: the context as training made it, channel 1 decoded, the
answer moved back into the human's key frame and played on the piece's AI channel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from skytnt_tiny import tiny_model

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.checkpoint import save_pretrained_folder
from conductor.backends.skytnt.rolecontext import RoleFrame, frame_constraints, key_shift
from conductor.backends.skytnt.roles import (
    AI_CHANNEL,
    HUMAN_CHANNEL,
    KEY_AS_PLAYED,
    KEY_COMMON,
    Meter,
    PartNote,
    Role,
    mark_config,
    role_of_row,
    role_rows,
    role_score,
)
from conductor.core.events import Note, Source
from conductor.core.keys import parse_key
from conductor.core.timebase import Timebase
from conductor.piece.compiled import ModelKind, ModelSpec, SamplingSpec

TB = Timebase(120.0, 3, 4)  # half a second a beat, 1.5 s a bar
D_MAJOR = parse_key("D major")
D_SCALE = D_MAJOR.pitch_classes
HUMAN = (Note(0.0, 0.5, 62, 90, 0, Source.HUMAN), Note(0.5, 0.5, 66, 80, 0, Source.HUMAN))
AI = (Note(1.0, 1.0, 50, 70, 2, Source.AI),)


def request(**kw: object) -> GenerationRequest:
    base = GenerationRequest(
        context=HUMAN + AI, origin=0.0, start=1.5, until=4.5, timebase=TB, max_events=8,
        sampling=SamplingSpec(seed=3),
        constraints=Constraints(channels=frozenset({2}), low=50, high=74, pitch_classes=D_SCALE),
        role="trading", key=D_MAJOR,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def expected_rows(model: SkyTNTModel, shift: int, role: Role) -> list[list[int]]:
    human = [PartNote(0, 480, 62, 90), PartNote(480, 480, 66, 80)]
    ai = [PartNote(960, 960, 50, 70)]
    return role_rows(model.tokenizer, role_score(human, ai, role, Meter(500_000, 3, 4), shift))


def test_a_common_key_model_reads_both_parts_moved_to_c_on_their_channels() -> None:
    model = SkyTNTModel(tiny_model(), role_key=KEY_COMMON)
    list(model.generate(request()))
    rows = expected_rows(model, -2, Role.TRADING)  # D major → C major: down two semitones
    assert [list(r) for r in model.decoder.rows[: len(rows)]] == rows
    assert {role_of_row(model.tokenizer, r) for r in rows[1:5]} == {Role.TRADING, None}
    notes = [model.tokenizer.tokens2event(list(r)) for r in rows]
    human = [e for e in notes if e and e[0] == "note" and e[-4] == HUMAN_CHANNEL]
    assert [e[-3] for e in human] == [60, 64]  # D, F# heard as C, E


def test_the_answer_is_decoded_on_channel_1_and_played_back_in_the_humans_key() -> None:
    model = SkyTNTModel(tiny_model(), role_key=KEY_COMMON)
    notes = list(model.generate(request()))
    decoded = model.decoder.rows[len(expected_rows(model, -2, Role.TRADING)) :]
    events = [model.tokenizer.tokens2event(list(r)) for r in decoded]
    assert notes and all(e is not None and e[0] == "note" and e[-4] == AI_CHANNEL for e in events)
    assert [n.pitch for n in notes] == [int(e[-3]) + 2 for e in events if e is not None][: len(notes)]
    for n in notes:  # the piece's channel, range and key, in the human's frame
        assert n.channel == 2 and 50 <= n.pitch <= 74 and n.pitch % 12 in D_MAJOR.pitch_classes


def test_an_as_played_model_is_not_moved_and_the_mode_names_the_role() -> None:
    model = SkyTNTModel(tiny_model(), role_key=KEY_AS_PLAYED)
    list(model.generate(request(role="ai_chords")))
    rows = expected_rows(model, 0, Role.CHORDS)
    assert [list(r) for r in model.decoder.rows[: len(rows)]] == rows


def test_without_a_key_the_humans_notes_give_the_frame() -> None:
    model = SkyTNTModel(tiny_model(), role_key=KEY_COMMON)
    list(model.generate(request(key=None)))  # D and F#: read as D major
    assert model.context.frame == RoleFrame(Role.TRADING, key_shift(D_MAJOR)) == RoleFrame(Role.TRADING, -2)


def test_frame_constraints_move_range_and_key() -> None:
    cons = Constraints(channels=frozenset({5}), low=50, high=74, pitch_classes=D_MAJOR.pitch_classes)
    moved = frame_constraints(cons, RoleFrame(Role.DUET, -2))
    assert moved.channels == {AI_CHANNEL} and (moved.low, moved.high) == (48, 72)
    assert moved.pitch_classes == parse_key("C major").pitch_classes
    assert RoleFrame(Role.DUET, -2).back(126) is None and RoleFrame(Role.DUET, 5).back(60) == 55


def test_from_spec_reads_the_mark(tmp_path: Path) -> None:
    folder = save_pretrained_folder(tiny_model(), tmp_path / "m")
    spec = ModelSpec(kind=ModelKind.SKYTNT, checkpoint=folder)
    assert SkyTNTModel.from_spec(spec).role_key is None
    mark_config(folder, KEY_COMMON)
    assert SkyTNTModel.from_spec(spec).role_key == KEY_COMMON
