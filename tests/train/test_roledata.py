"""The role corpus: music21 works to parts (cached), windows tokenised with the role format, counts."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from conductor.backends.skytnt.roles import PROGRAMS, Meter, PartNote, Role
from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.train.data import DataError, load_corpus
from conductor.train.parts import Work, cached_parse, work_from_music21
from conductor.train.roledata import collections_of, describe, tokenise_works

TOK = get_tokenizer("v2o")
BAR = 1920


def quartet(name: str, bars: int) -> Work:
    notes = range(bars * 4)
    parts = tuple(tuple(PartNote(i * 480, 480, base + i % 4, 80) for i in notes) for base in (72, 64, 55, 43))
    return Work(name, parts, tuple(b * BAR for b in range(bars)), Meter())


def test_collections_and_unknown_names() -> None:
    assert collections_of("roles:bach, essen") == ["bach", "essen"]
    assert "palestrina" in collections_of("corpus:roles") and collections_of("roles:all")[0] == "bach"
    with pytest.raises(DataError, match=r"unknown collection 'jazz'.*bach"):
        collections_of("roles:bach,jazz")


def test_windows_are_tokenised_with_the_role_format() -> None:
    tune = Work("essen:t", (tuple(PartNote(i * 960, 960, 60 + i % 5, 80) for i in range(16)),), (0,), Meter())
    silent = Work("x:silent", (tuple(PartNote(0, 480, 60, 80) for _ in range(1)),), (0,), Meter())
    skipped: list[str] = []
    corpus = tokenise_works("roles:test", "v2o", [quartet("bach:q", 8), tune, silent], 128, skipped)
    assert skipped == ["x:silent: no window with both parts playing"]
    roles_seen = {name.split(" | ")[1] for name in corpus.names}
    assert roles_seen == {"chords", "solo", "duet", "trading"}
    for i, name in enumerate(corpus.names):
        rows = corpus.piece(i)
        assert len(rows) <= 129 and rows[0].tolist() == TOK.bos_row()
        role = Role(name.split(" | ")[1])
        patches = [TOK.tokens2event(r.tolist()) for r in rows if r[0] == TOK.event_ids["patch_change"]]
        assert [p[-1] for p in patches] == list(PROGRAMS[role])  # human's patch, then the AI's
    counts = describe(corpus)
    assert counts["works"] == 2 and counts["works per collection"] == {"bach": 1, "essen": 1}
    assert counts["skipped"] == {"no window with both parts playing": 1}


def test_music21_work_keeps_parts_bars_and_meter() -> None:
    from music21 import meter, note, stream, tempo

    score = stream.Score()
    for pitch in ("E5", "C4"):
        part = stream.Part()
        part.append(meter.TimeSignature("3/4"))
        part.append(tempo.MetronomeMark(number=90))
        for _ in range(6):
            part.append(note.Note(pitch, quarterLength=1.0))
        score.insert(0, part.makeMeasures())
    work = work_from_music21(score, "w")
    assert work is not None and work.meter == Meter(666_666, 3, 4)
    assert work.bars == (0, 1440) and [len(p) for p in work.parts] == [6, 6]
    assert work.parts[0][1] == PartNote(480, 480, 76, 80)
    assert Work.from_json(work.to_json()) == work


def test_a_real_chorale_is_parsed_once_then_read_from_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from music21 import corpus

    path = str(next(iter(corpus.chorales.Iterator(numberingSystem="bwv", returnType="filename"))))
    files = [(path, path), ("no/such/file.mxl", "missing")]
    first = cached_parse("bach", files, tmp_path, workers=1)
    assert len(first.works) == 1 and len(first.works[0].parts) == 4
    assert len(first.skipped) == 1 and first.skipped[0].startswith("missing: ")
    with caplog.at_level(logging.INFO, logger="conductor.train.parts"):
        again = cached_parse("bach", files, tmp_path, workers=1)
    assert "cache hit" in caplog.text and again == first


def test_load_corpus_reads_a_role_source_from_its_token_cache(tmp_path: Path) -> None:
    corpus = tokenise_works("roles:bach", "v2o", [quartet("bach:q", 8)], 128, [])
    from conductor.train.data import write_cache
    from conductor.train.roledata import cache_path

    write_cache(cache_path("roles:bach", "v2o", tmp_path, 128), corpus)
    again = load_corpus("roles:bach", "v2o", tmp_path, block=128)
    assert again.names == corpus.names and np.array_equal(again.rows, corpus.rows)


def test_role_training_with_tempo_and_packing_resumes_exactly_and_marks_the_model(tmp_path: Path) -> None:
    from dataclasses import replace
    from functools import partial

    import torch

    from conductor.backends.skytnt.checkpoint import load_checkpoint
    from conductor.backends.skytnt.roles import read_format
    from conductor.train import modelio
    from conductor.train.augment import Augment, TokenLayout
    from conductor.train.batching import split_by_piece
    from conductor.train.loop import Progress, Run, Settings, train

    works = [quartet(f"bach:q{i}", 4 + i) for i in range(6)]
    corpus = tokenise_works("roles:test", "v2o", works, 64, [])
    s = Settings(steps=4, batch=2, block=64, lr=3e-3, warmup=1, seed=2, augment=Augment.ALL)
    s = replace(s, val_fraction=0.2, eval_every=2, eval_batches=1, save_every=2, tempo=True, pack=True)
    save = partial(modelio.save_model, roles=True, dtype="float16")

    def run(out: Path) -> Run:
        model = modelio.new_model("tiny", seed=s.seed)
        train_idx, val_idx = split_by_piece(corpus.names, s.val_fraction, s.seed)
        layout = TokenLayout.from_tokenizer(modelio.tokenizer_of(model))
        return Run(model, corpus, layout, train_idx, val_idx, out, s, "cpu", save)

    whole = run(tmp_path / "whole")
    train(whole)

    def stop(p: Progress) -> None:
        if p.step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(run(tmp_path / "cut"), stop)
    resumed = run(tmp_path / "cut")
    train(resumed)
    for key, value in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert read_format(tmp_path / "whole") == 1
    loaded = load_checkpoint(tmp_path / "whole")  # float16 on disk, float32 when loaded
    state = whole.model.state_dict()
    for key, value in loaded.state_dict().items():
        assert value.dtype == torch.float32 and torch.allclose(value, state[key], atol=1e-2), key


def test_human_key_augmentation_moves_each_window_by_its_human_part() -> None:
    from conductor.train.augment import Augment, TokenLayout, choose_shift, common_key_shift

    g_major = tuple(PartNote(i * 480, 480, p, 80) for i, p in enumerate((67, 71, 74, 72, 69, 66, 67, 62)))
    other = tuple(PartNote(i * 480, 480, p, 80) for i, p in enumerate((61, 63, 66, 68, 70, 61, 66, 63)))
    work = Work("x:w", (g_major, other), (0,), Meter())
    corpus = tokenise_works("roles:x", "v2o", [work], 64, [])
    rows = corpus.piece(0)  # the chords window: G major melody (human), the other part (AI)
    assert corpus.names[0].split(" | ")[1] == "chords"
    layout = TokenLayout.from_tokenizer(TOK)
    assert common_key_shift(rows, layout, channel=0) == 5
    rng = np.random.default_rng(0)
    assert choose_shift(rows, layout, Augment.HUMAN, rng) == 5
    assert common_key_shift(rows, layout) != 5  # all notes together read as another key
