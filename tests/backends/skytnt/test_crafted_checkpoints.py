"""Crafted checkpoints: each is one `ModelError` line naming the file and the field, never a traceback,
a hang or a huge allocation; `conductor model info` prints that line and exits 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from crafted import CASES, good_folder

from conductor.backends.base import ModelError
from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.cli import main


def test_there_are_at_least_19_crafted_checkpoints() -> None:
    assert len(CASES) >= 19


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_crafted_checkpoint_is_one_clear_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, named, words = CASES[name](tmp_path)
    with pytest.raises(ModelError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and str(named) in message and words in message, message
    assert main(["model", "info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"


def test_a_good_checkpoint_still_loads_and_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = good_folder(tmp_path / "good")
    assert load_checkpoint(folder).config.n_embd == 64
    assert main(["model", "info", str(folder)]) == 0
    assert "net 2 layers x 4 heads" in capsys.readouterr().out


def test_an_unknown_config_name_gets_a_guess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "bench", "--config", "tv2o-smal"]) == 1
    assert "did you mean tv2o-small" in capsys.readouterr().err
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--config", "small"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown --config 'small'" in err
    assert (
        "did you mean tv2o-small or conductor-small?" in err
        and "conductor-small, conductor-roles, tiny," in err
    )


def test_model_bench_refuses_sizes_the_model_cannot_hold(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "bench", "--config", "tv2o-small", "--context", "100000"]) == 1
    assert "exceed the model's 4096 positions" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["model", "bench", "--config", "tv2o-small", "--events", "0"])
    assert "expected a whole number >= 1, got '0'" in capsys.readouterr().err
