"""Sources, the token cache, and corrupt or empty files skipped and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.train.data import DataError, load_corpus, merge, music21_score


def test_midi_folder_skips_corrupt_and_empty_files(midi_folder: Path, tmp_path: Path) -> None:
    corpus = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    assert corpus.names == tuple(f"piece{i}.mid" for i in range(6))
    assert sorted(s.split(": ")[0] for s in corpus.skipped) == ["corrupt.mid", "empty.mid"]
    assert "empty.mid: no notes" in corpus.skipped
    tok = get_tokenizer("v2o")
    for i in range(6):
        rows = corpus.piece(i)
        assert rows[0, 0] == tok.bos_id and rows[-1, 0] == tok.eos_id
    assert corpus.offsets[-1] == corpus.events


def test_second_load_reads_the_cache(
    midi_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*/manifest.json"))) == 1
    with caplog.at_level(logging.INFO, logger="conductor.train.shards"):
        second = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    assert "token cache hit" in caplog.text
    assert np.array_equal(np.asarray(first.rows), np.asarray(second.rows)) and first.names == second.names
    assert first.skipped == second.skipped


def test_cache_is_keyed_by_tokenizer(midi_folder: Path, tmp_path: Path) -> None:
    v2o = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    v1 = load_corpus(str(midi_folder), "v1", tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*/manifest.json"))) == 2
    assert v1.tokenizer == "v1" and v2o.tokenizer == "v2o"


def test_bad_sources_say_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a folder and not corpus:NAME"):
        load_corpus(str(tmp_path / "missing"), "v2o", tmp_path)
    (tmp_path / "none").mkdir()
    with pytest.raises(DataError, match=r"no \.mid or \.midi files"):
        load_corpus(str(tmp_path / "none"), "v2o", tmp_path)
    with pytest.raises(DataError, match="corpus:bach"):
        load_corpus("corpus:no-such-collection", "v2o", tmp_path)


def test_merge_keeps_every_piece(midi_folder: Path, tmp_path: Path) -> None:
    a = load_corpus(str(midi_folder), "v2o", tmp_path / "cache")
    both = merge([a, a])
    assert len(both) == 12 and both.events == 2 * a.events
    assert np.array_equal(both.piece(7), a.piece(1))


def test_music21_score_has_one_channel_per_part() -> None:
    from music21 import corpus

    score = music21_score(corpus.parse("bach/bwv66.6"))
    assert score[0] == 480
    assert score[1] == [["set_tempo", 0, 625000]]  # its metronome mark: 96 bpm
    notes = [e for track in score[2:] for e in track if e[0] == "note"]
    assert {e[3] for e in notes} == {0, 1, 2, 3}
    first = [track[1] for track in score[2:]]  # first note of each part (after the patch)
    assert [e[4] for e in first] == [73, 64, 57, 57]  # the opening A major chord: C#5 E4 A3 A3


def test_folk_collections_load_from_abc() -> None:
    from conductor.train.data import list_items

    items = list_items("corpus:ryansMammoth")
    name, load = items[0]
    assert name == "ryansMammoth/42dHighlandRegimentStrathspey.abc"
    [(piece, score)] = load()
    assert piece == name
    notes = [e for track in score[1:] for e in track if e[0] == "note"]
    assert len(notes) == 191 and {e[3] for e in notes} == {0}
