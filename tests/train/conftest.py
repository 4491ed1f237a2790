"""Fixtures for training tests: small generated pieces written as real MIDI files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

torch.set_num_threads(1)


def make_score(seed: int, bars: int = 4, drums: bool = True) -> list[Any]:
    """A small piece: a C major melody on channel 0, a bass on channel 1, optional drums on channel 9."""
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    melody = [["patch_change", 0, 0, 0]]
    bass = [["patch_change", 0, 1, 32]]
    for i in range(bars * 4):
        pitch = scale[(seed * 3 + i * (seed % 3 + 1)) % len(scale)]
        melody.append(["note", i * 480, 480, 0, pitch, 90])
        if i % 2 == 0:
            bass.append(["note", i * 480, 960, 1, 36 + (i // 2 + seed) % 5 * 2, 80])
    tracks: list[Any] = [[["set_tempo", 0, 500000]], melody, bass]
    if drums:
        tracks.append([["note", i * 240, 120, 9, 42, 70] for i in range(bars * 8)])
    return [480, *tracks]


@pytest.fixture
def midi_folder(tmp_path: Path) -> Path:
    """Six generated pieces as .mid files, plus a corrupt one and an empty one."""
    from conductor.backends.skytnt.midi_score_write import write_score

    folder = tmp_path / "midis"
    folder.mkdir()
    for i in range(6):
        write_score(make_score(i, bars=4 + i), folder / f"piece{i}.mid")
    (folder / "corrupt.mid").write_bytes(b"MThd\x00\x00garbage")
    write_score([480, [["set_tempo", 0, 500000]]], folder / "empty.mid")
    return folder
