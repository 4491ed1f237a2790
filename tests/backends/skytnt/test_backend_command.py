"""`conductor model info|bench` on a tiny saved model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from skytnt_tiny import tiny_model

from conductor.backends.skytnt.checkpoint import save_pretrained_folder
from conductor.cli import main


def test_model_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tiny_model()
    save_pretrained_folder(model, tmp_path / "tiny")
    assert main(["model", "info", str(tmp_path / "tiny")]) == 0
    out = capsys.readouterr().out
    assert f"parameters: {model.parameter_count():,}" in out and "tokenizer: v2o" in out


def test_model_bench_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_pretrained_folder(tiny_model(), tmp_path / "tiny")
    assert main(["model", "bench", str(tmp_path / "tiny"), "--context", "8", "--events", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for prefix in ("", "reference_"):
        for key in ("first_event_s_cold", "first_event_s_warm", "events_per_s"):
            assert result[prefix + key] > 0
    assert (result["context"], result["events"], result["dtype"]) == (8, 2, "float32")


def test_model_errors_are_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "info", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.startswith("error: checkpoint ")
    assert main(["model", "bench", "--context", "4"]) == 1
    assert "needs a checkpoint PATH or --config NAME" in capsys.readouterr().err
