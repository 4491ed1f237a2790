"""Data-parallel training: the global batch is world-size independent, accumulation, bf16, and a real
2-process gloo run under torchrun that follows the 1-process loss curve and resumes in one process.

Tolerance: the same global batch gives the same step up to the order of float additions (gradients
summed per rank, then averaged by DDP); measured here 5e-7 on losses near 7 after 6 steps, asserted
within 1e-4 absolute.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from conductor.train import modelio
from conductor.train.augment import Augment, TokenLayout
from conductor.train.batching import split_by_piece
from conductor.train.data import Corpus, load_corpus
from conductor.train.loop import STATE_FILE, Run, Settings, train
from conductor.train.parallel import World, my_slices

TOLERANCE = 1e-4
SETTINGS = Settings(
    steps=5, batch=4, block=16, lr=3e-3, min_lr=3e-4, warmup=2, seed=3, augment=Augment.ALL,
    val_fraction=0.2, eval_every=5, eval_batches=1, save_every=5, token_positions=8,
)  # fmt: skip


@pytest.fixture
def corpus(midi_folder: Path, tmp_path: Path) -> Corpus:
    return load_corpus(str(midi_folder), "v2o", tmp_path / "cache")


def _run(corpus: Corpus, out: Path, settings: Settings) -> Run:
    model = modelio.new_model("tiny", seed=settings.seed)
    layout = TokenLayout.from_tokenizer(modelio.tokenizer_of(model))
    train_idx, val_idx = split_by_piece(corpus.names, settings.val_fraction, settings.seed)
    return Run(model, corpus, layout, train_idx, val_idx, out, settings, "cpu", modelio.save_model)


def _losses(history: list[tuple[int, float]]) -> np.ndarray:
    return np.array([loss for _, loss in history])


def test_the_ranks_micro_batches_cover_the_global_batch_once() -> None:
    rows = 2 * 3 * 4  # batch 2, 3 ranks, accumulate 4
    seen = [i for r in range(3) for s in my_slices(rows, World(r, 3), 4) for i in range(rows)[s]]
    assert seen == list(range(rows))
    assert all(s.stop - s.start == 2 for s in my_slices(rows, World(1, 3), 4))


def test_the_world_comes_from_torchruns_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from conductor.train.parallel import start, world_from_env

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert world_from_env() == World(0, 1, 0) and world_from_env().is_main
    assert start(World(), "cpu") == "cpu"  # one process: no process group
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert world_from_env() == World(3, 4, 1) and not world_from_env().is_main


def test_accumulation_takes_the_step_of_the_whole_batch(corpus: Corpus, tmp_path: Path) -> None:
    whole = _run(corpus, tmp_path / "whole", SETTINGS)
    accumulated = _run(corpus, tmp_path / "acc", replace(SETTINGS, batch=2, accumulate=2))
    a, b = train(whole), train(accumulated)
    assert np.allclose(_losses(a.train), _losses(b.train), atol=TOLERANCE, rtol=0)
    assert _losses(a.train)[-1] < _losses(a.train)[0]  # it learns: not a constant on both sides
    for key, value in whole.model.state_dict().items():
        assert torch.allclose(accumulated.model.state_dict()[key], value, atol=1e-5), key


def test_resume_needs_the_same_global_batch_not_the_same_split(corpus: Corpus, tmp_path: Path) -> None:
    train(_run(corpus, tmp_path / "out", replace(SETTINGS, steps=2, save_every=2)))
    with pytest.raises(ValueError, match=r"global batch of 4 blocks .* this run: seed 3, global batch 3"):
        train(_run(corpus, tmp_path / "out", replace(SETTINGS, batch=3)))
    resumed = train(_run(corpus, tmp_path / "out", replace(SETTINGS, batch=1, accumulate=4)))
    assert [s for s, _ in resumed.train] == [1, 2, 3, 4, 5]


def test_bf16_autocast_trains_close_to_fp32(corpus: Corpus, tmp_path: Path) -> None:
    fp32 = train(_run(corpus, tmp_path / "fp32", replace(SETTINGS, steps=2)))
    run = _run(corpus, tmp_path / "bf16", replace(SETTINGS, steps=2, precision="bf16"))
    bf16 = train(run)
    assert abs(bf16.train[0][1] - fp32.train[0][1]) < 0.05  # bfloat16 keeps ~3 significant digits
    assert all(p.dtype == torch.float32 for p in run.model.parameters())  # weights stay float32
    with pytest.raises(ValueError, match="expected one of fp32, bf16"):
        train(_run(corpus, tmp_path / "x", replace(SETTINGS, precision="fp16")))


# ---------------------------------------------------------------- a real 2-process run (gloo)

CLI = ["--config", "tiny", "--block", "16", "--warmup", "2", "--eval-every", "3", "--save-every", "3"]
CLI += ["--val-fraction", "0.2", "--token-positions", "8", "--threads", "1", "--seed", "1"]


def _conductor_train(data: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), "--cache", str(cache), *CLI, *extra]


def _history(out: Path) -> np.ndarray:
    return _losses(torch.load(out / STATE_FILE, weights_only=True)["history"]["train"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    launcher += ["--master_addr", "127.0.0.1", "--master_port", str(_free_port())]
    cmd = [*launcher, "-m", "conductor", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_two_gloo_ranks_follow_one_process_and_resume_in_one(midi_folder: Path, tmp_path: Path) -> None:
    from conductor.backends.skytnt.checkpoint import load_checkpoint
    from conductor.cli import main

    cache = tmp_path / "cache"
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_conductor_train(midi_folder, one, cache, "--steps", "6", "--batch", "4")) == 0
    done = _torchrun(_conductor_train(midi_folder, two, cache, "--steps", "6", "--batch", "2"), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(_history(two)) == 6
    assert np.allclose(_history(one), _history(two), atol=TOLERANCE, rtol=0)
    card = json.loads((two / "card.json").read_text())
    assert card["settings"]["ranks"] == "2" and card["settings"]["global batch"] == "4"
    assert [json.loads(x)["step"] for x in (two / "train_log.jsonl").read_text().splitlines()] == [3, 6]
    loaded, reference = load_checkpoint(two), load_checkpoint(one)
    for key, value in reference.state_dict().items():
        assert torch.allclose(loaded.state_dict()[key], value, atol=1e-5), key
    # the 2-rank checkpoint continues in one process (batch 2 x accumulate 2: the same global batch)
    assert main(_conductor_train(midi_folder, one, cache, "--steps", "9", "--batch", "4", "--resume")) == 0
    more = ("--steps", "9", "--batch", "2", "--accumulate", "2", "--resume")
    assert main(_conductor_train(midi_folder, two, cache, *more)) == 0
    assert len(_history(two)) == 9
    assert np.allclose(_history(one), _history(two), atol=TOLERANCE, rtol=0)


AGREE = """
import sys
from pathlib import Path

from conductor.train.parallel import same_everywhere, start, stop, world_from_env

world = world_from_env()
start(world, "cpu")
same, differ = same_everywhere(7, world, "cpu"), same_everywhere(world.rank, world, "cpu")
Path(sys.argv[1], f"rank{world.rank}.txt").write_text(f"rank {world.rank}: same {same}, differ {differ}")
stop(world)
"""


@pytest.mark.slow
def test_ranks_notice_when_they_resume_at_different_steps(tmp_path: Path) -> None:
    script = tmp_path / "agree.py"
    script.write_text(AGREE)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    cmd += ["--master_addr", "127.0.0.1", "--master_port", str(_free_port()), str(script), str(tmp_path)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # each rank writes its own file: the two ranks share one stdout pipe, and their lines interleave
    assert [(tmp_path / f"rank{r}.txt").read_text() for r in (0, 1)] == [
        "rank 0: same True, differ False",
        "rank 1: same True, differ False",
    ]
