"""A piece's `model: {lora: PATH}`: compiled relative to the piece, rehearsed through the whole engine."""

from __future__ import annotations

import copy
from pathlib import Path

import mido
import pytest
from peft import LoraConfig, get_peft_model
from skytnt_tiny import tiny_model

from conductor.backends.skytnt.checkpoint import save_pretrained_folder
from conductor.cli import main
from conductor.piece import PieceErrors, load_piece, load_piece_text
from tests.rehearse.helpers import MARK

PIECE = """
title: lora test
tempo: 96
meter: 4/4
model: {{kind: skytnt, checkpoint: ../models/base{lora}, sampling: {{seed: 3}}}}
midi: {{ai_channel: 2}}
sections:
  - {{name: intro, mode: listen, length: 2 bars}}
  - {{name: duet, mode: duet, length: 3 bars, then: stop}}
"""


@pytest.fixture()
def folders(tmp_path: Path) -> Path:
    """models/base (a tiny checkpoint) and models/adapter (a peft LoRA of it) under `tmp_path`."""
    base = tiny_model(seed=1)
    save_pretrained_folder(base, tmp_path / "models" / "base")
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"])
    peft_model = get_peft_model(copy.deepcopy(base), config)
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero (a no-op adapter): make it change the music
            p.data.normal_(0, 0.5)
    peft_model.save_pretrained(str(tmp_path / "models" / "adapter"))
    (tmp_path / "pieces").mkdir()
    return tmp_path


def write_piece(folder: Path, name: str, lora: str) -> Path:
    path = folder / "pieces" / f"{name}.yaml"
    path.write_text(PIECE.format(lora=lora))
    return path


def ai_notes(take: Path) -> list[tuple[int, int]]:
    midi = mido.MidiFile(take)
    track = next(t for t in midi.tracks if t.name == "ai")
    return [(m.note, m.velocity) for m in track if m.type == "note_on" and m.velocity > 0]


def test_lora_compiles_relative_to_the_piece(folders: Path) -> None:
    piece = load_piece(write_piece(folders, "with", ", lora: ../models/adapter"))
    assert piece.model.lora == Path("../models/adapter")
    assert piece.model.checkpoint == Path("../models/base")


def test_lora_without_a_checkpoint_is_a_piece_error() -> None:
    text = "title: t\ntempo: 90\nmodel: {kind: skytnt, config: tv2o-medium, lora: adapter}\n"
    text += "sections: [{name: a, mode: duet, length: 2 bars}]\n"
    with pytest.raises(PieceErrors, match=r"model.lora.*needs the checkpoint it was trained on"):
        load_piece_text(text)


def test_a_piece_with_lora_rehearses_and_the_adapter_changes_the_music(
    folders: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    takes = {}
    for name, lora in (("with", ", lora: ../models/adapter"), ("without", "")):
        take = folders / f"{name}.mid"
        argv = ["rehearse", str(write_piece(folders, name, lora)), "--human", str(MARK), "--out", str(take)]
        assert main(argv) == 0, capsys.readouterr().err
        takes[name] = ai_notes(take)
    assert takes["with"] and takes["without"]
    assert takes["with"] != takes["without"]


def test_a_broken_adapter_is_one_line_naming_it(folders: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folders / "models" / "adapter" / "adapter_model.safetensors").write_bytes(b"not safetensors")
    piece = write_piece(folders, "broken", ", lora: ../models/adapter")
    argv = ["rehearse", str(piece), "--human", str(MARK), "--out", str(folders / "t.mid")]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert "adapter_model.safetensors cannot be read" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1
