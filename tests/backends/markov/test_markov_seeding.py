"""Seeding from MIDI files and music21's corpus, with the on-disk cache and seed_weight mixing."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest
from markov_helpers import melody, request

from conductor.backends.base import ModelError
from conductor.backends.markov import MarkovModel
from conductor.backends.markov.events import DUR_BEATS, IOI_BEATS
from conductor.backends.markov.seeding import cache_dir, midi_notes, resolve, seed_table
from conductor.piece.compiled import MarkovSpec, ModelSpec


def write_midi(path: Path, pitches: list[int], channel: int = 0) -> Path:
    """One note per beat (480 ticks), velocity 100, plus a drum hit that must be ignored."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.Message("note_on", note=36, velocity=100, channel=9, time=0))
    track.append(mido.Message("note_off", note=36, velocity=0, channel=9, time=10))
    for i, p in enumerate(pitches):
        track.append(mido.Message("note_on", note=p, velocity=100, channel=channel, time=0))
        track.append(mido.Message("note_on", note=p, velocity=0, channel=channel, time=480 if i else 470))
    mid.tracks.append(track)
    mid.save(path)
    return path


def test_midi_notes_are_timed_in_beats_without_drums(tmp_path: Path) -> None:
    notes = midi_notes(write_midi(tmp_path / "cde.mid", [60, 62, 64]))
    assert [(n.onset, n.duration, n.pitch, n.velocity) for n in notes] == [
        (10 / 480, 470 / 480, 60, 100),
        (1.0, 1.0, 62, 100),
        (2.0, 1.0, 64, 100),
    ]


def test_seed_table_from_a_midi_file_counts_exactly_and_is_cached(tmp_path: Path) -> None:
    write_midi(tmp_path / "cde.mid", [60, 62, 64, 60, 62, 64])
    table = seed_table(["cde.mid"], 2, tmp_path)
    step = (2, (), IOI_BEATS.index(1.0), DUR_BEATS.index(1.0), 6)
    down = (-4, (), IOI_BEATS.index(1.0), DUR_BEATS.index(1.0), 6)
    assert list(table.backoff([down, step])) == [
        (2, {step: 1.0}),
        (1, {step: 2.0, down: 1.0}),
        (0, {step: 4.0, down: 1.0}),
    ]
    cached = list(cache_dir().glob("*.json"))
    assert len(cached) == 1
    assert json.loads(cached[0].read_text()) == json.loads(json.dumps(table.to_json()))
    assert seed_table(["cde.mid"], 2, tmp_path).to_json() == table.to_json()


def test_a_seeded_model_continues_the_seed_in_the_human_s_key(tmp_path: Path) -> None:
    write_midi(tmp_path / "cde.mid", [60, 62, 64, 60, 62, 64])
    spec = ModelSpec(markov=MarkovSpec(order=2, seed=("cde.mid",), seed_weight=1.0))
    model = MarkovModel.from_spec(spec, tmp_path)
    out = model.generate(request(melody([69, 65, 67], start=10), max_events=6, markov=spec.markov))
    assert [n.pitch for n in out] == [69, 65, 67, 69, 65, 67]  # C D E learnt, played from F G A


def test_seed_weight_zero_uses_only_what_was_learnt_live(tmp_path: Path) -> None:
    write_midi(tmp_path / "up.mid", [60, 61, 62, 63, 64, 65])
    spec = MarkovSpec(order=2, seed=("up.mid",), seed_weight=0.0)
    model = MarkovModel.from_spec(ModelSpec(markov=spec), tmp_path)
    model.observe(melody([60, 62, 64, 60, 62, 64]))
    out = model.generate(request(melody([64, 60, 62], start=10), max_events=3, markov=spec))
    assert [n.pitch for n in out] == [64, 60, 62]


def test_corpus_bach_parses_a_bounded_subset_once(tmp_path: Path) -> None:
    table = seed_table(["corpus:bach:2"], 2, tmp_path)
    assert table.events > 100  # two four-part chorales: well over a hundred chord events
    assert next(table.backoff([]))[0] == 0
    assert len(list(cache_dir().glob("*.json"))) == 1


def test_seed_entries_are_resolved_or_rejected_with_the_entry_named(tmp_path: Path) -> None:
    assert resolve("corpus:bach", tmp_path).limit == 40
    assert resolve("corpus:bach:7", tmp_path).limit == 7
    with pytest.raises(ModelError, match="'corpus:bach:x'"):
        resolve("corpus:bach:x", tmp_path)
    with pytest.raises(ModelError, match=r"'missing\.mid': no such MIDI file"):
        resolve("missing.mid", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match=r"holds no \.mid files"):
        resolve("empty", tmp_path)
    with pytest.raises(ModelError, match="corpus:no_such_work_xyz"):
        seed_table(["corpus:no_such_work_xyz"], 2, tmp_path)
    (tmp_path / "torn.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")  # the robust reader's line
    torn = r"^markov seed .*torn\.mid: the file ends inside the header .+: is it truncated\?$"
    with pytest.raises(ModelError, match=torn):
        seed_table(["torn.mid"], 2, tmp_path)
