"""SkyTNTModel: the Model protocol over a tiny model, from specs, constraints, streaming, observe."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from skytnt_tiny import tiny_model

from conductor.backends.base import Constraints, GenerationRequest, Model, ModelError
from conductor.backends.factory import build_model
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.checkpoint import save_pretrained_folder
from conductor.backends.skytnt.listening import SETUP_ROWS
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import ModelSpec, SamplingSpec

C_MAJOR = frozenset({0, 2, 4, 5, 7, 9, 11})
TB = Timebase(120.0, 4, 4)  # half a second a beat, two seconds a bar


def human(n: int, start: float = 0.0) -> tuple[Note, ...]:
    return tuple(Note(start + 0.25 * i, 0.2, 60 + (i * 5) % 12, 80, 0, Source.HUMAN) for i in range(n))


def rows_of(model: SkyTNTModel) -> list[list[int]]:
    """The token rows of the model's anchor as it stands."""
    assert model.context.origin is not None
    return model.context.tokenize(model.context.notes, model.context.origin)[0]


def request(context: tuple[Note, ...], start: float, **kw: object) -> GenerationRequest:
    base = GenerationRequest(
        context=context, origin=0.0, start=start, until=start + 4.0, timebase=TB, max_events=6,
        sampling=SamplingSpec(seed=5), constraints=Constraints(channels=frozenset({2}), low=48, high=72,
                                                               pitch_classes=C_MAJOR),
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.fixture
def model() -> SkyTNTModel:
    return SkyTNTModel(tiny_model())


def test_is_a_model_and_notes_keep_every_constraint(model: SkyTNTModel) -> None:
    assert isinstance(model, Model)
    req = request(human(16), start=4.0)
    notes = list(model.generate(req))
    assert 1 <= len(notes) <= 6
    assert [n.onset for n in notes] == sorted(n.onset for n in notes)
    for n in notes:
        assert 4.0 <= n.onset <= 8.0 and n.channel == 2 and 48 <= n.pitch <= 72
        assert n.pitch % 12 in {0, 2, 4, 5, 7, 9, 11} and 1 <= n.velocity <= 127 and n.source is Source.AI


def test_same_seed_same_notes_and_cancel(model: SkyTNTModel) -> None:
    req = request(human(16), start=4.0)
    first = list(model.generate(req))
    stream = model.generate(req)
    got = next(stream)
    stream.close()
    assert got == first[0]
    assert list(SkyTNTModel(tiny_model()).generate(req)) == first


def test_sliding_window_extends_the_cache_and_observe_prefills(model: SkyTNTModel) -> None:
    list(model.generate(request(human(16), start=4.0)))
    more = human(8, start=4.0)
    model.observe(more)
    prefilled = model.decoder.cache.length
    assert prefilled >= 17  # BOS + the first 16 notes + the heard ones (setup rows aside)
    later = request(human(16, start=2.0) + more, start=6.0, origin=2.0)  # the window slid one bar
    assert model.decoder.prefill(rows_of(model)) == 0  # what the trigger would prefill: nothing new
    assert list(model.generate(later))


def test_from_spec_loads_a_checkpoint_relative_to_the_piece(tmp_path: Path) -> None:
    save_pretrained_folder(tiny_model(), tmp_path / "models" / "tiny")
    spec = ModelSpec(kind="skytnt", checkpoint=Path("models/tiny"))
    built = build_model(spec, tmp_path)
    assert isinstance(built, SkyTNTModel) and built.tokenizer.version == "v2"


def test_from_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="needs a checkpoint path"):
        SkyTNTModel.from_spec(ModelSpec(kind="skytnt"))
    save_pretrained_folder(tiny_model(), tmp_path / "m")
    with pytest.raises(ModelError, match="asks for tokenizer v1 but the model was trained with v2o"):
        SkyTNTModel.from_spec(ModelSpec(kind="skytnt", checkpoint=tmp_path / "m", tokenizer="v1"))
    with pytest.raises(ModelError, match="dtype float8"):
        SkyTNTModel.from_spec(ModelSpec(kind="skytnt", checkpoint=tmp_path / "m", dtype="float8"))
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no CUDA GPU is available here, expected device cpu"):
            SkyTNTModel.from_spec(ModelSpec(kind="skytnt", checkpoint=tmp_path / "m", device="cuda"))


def test_a_long_anchor_is_rebuilt_while_listening_not_at_the_trigger() -> None:
    model = SkyTNTModel(tiny_model(), max_context=24)
    list(model.generate(request(human(12), start=4.0)))  # a 12-note window: the anchor holds 24
    model.observe(human(12, start=4.0))  # 24 notes > 3/4 of 24: the next anchor, from the last window
    assert model.context.slide.active and model.context.origin == 0.0  # the live one plays on meanwhile
    while model.work(lambda: True):  # a slice at a time, between requests
        pass
    assert not model.context.slide.active and len(model.context.notes) <= 12 and model.context.origin == 4.0
    rows = rows_of(model)  # prefilled for the next trigger, but for its last rows (a quarter at most)
    assert 0 < model.decoder.prefill(rows) <= len(rows) // 4
    later = request(human(8, start=4.0), start=6.0, origin=4.0)
    assert all(6.0 <= n.onset <= 10.0 for n in model.generate(later))


def test_the_anchor_holds_twice_a_long_window_within_the_model_positions() -> None:
    model = SkyTNTModel(tiny_model(), max_context=24)
    list(model.generate(request(human(40), start=10.0)))  # a window longer than max_context
    assert model.context.max_context == 80 and len(model.context.notes) == 40  # kept whole: it can slide warm
    positions = model.decoder.net.max_positions
    huge = request(human(positions), start=positions / 4, max_events=6)
    notes = list(model.generate(huge))  # more notes than the model has positions: its latest fit
    assert len(model.context.notes) == positions - 6 - SETUP_ROWS and notes


def test_held_and_finished_versions_of_a_note_merge_into_one(model: SkyTNTModel) -> None:
    held = Note(1.0, 0.3, 60, 80)
    list(model.generate(request((held,), start=2.0)))
    model.observe([replace(held, duration=0.9)])
    assert model.context.notes == [replace(held, duration=0.9)]


def test_decoded_rows_land_on_the_clock(model: SkyTNTModel) -> None:
    tok = model.tokenizer
    model.context.origin, model.context.tb = 2.0, TB
    model.decoder.beats = [0, 3]  # the row below ends three beats after the origin
    values = {"time1": 3, "time2": 4, "track": 1, "channel": 2, "pitch": 64, "velocity": 90, "duration": 8}
    row = tuple(tok.event2tokens(["note", *(values[p] for p in tok.events["note"])]))
    note = model._to_note(row, 2.0, TB)
    # beat 3 + 4/16 at 0.5 s a beat after 2.0 s; 8 sixteenths = half a beat
    assert note == Note(onset=3.625, duration=0.25, pitch=64, velocity=90, channel=2, source=Source.AI)
