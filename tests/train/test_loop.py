"""Training a tiny model: loss goes down, resume equals an uninterrupted run, the checkpoint loads back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.train import modelio
from conductor.train.augment import Augment, TokenLayout
from conductor.train.batching import split_by_piece
from conductor.train.data import Corpus, load_corpus
from conductor.train.loop import STATE_FILE, Progress, Run, Settings, lr_at, train, two_level_loss

SETTINGS = Settings(
    steps=6,
    batch=2,
    block=16,
    lr=3e-3,
    min_lr=3e-4,
    warmup=2,
    seed=5,
    augment=Augment.ALL,
    val_fraction=0.2,
    eval_every=3,
    eval_batches=2,
    save_every=3,
)


@pytest.fixture
def corpus(midi_folder: Path, tmp_path: Path) -> Corpus:
    return load_corpus(str(midi_folder), "v2o", tmp_path / "cache")


def _run(corpus: Corpus, out: Path, settings: Settings = SETTINGS) -> Run:
    model = modelio.new_model("tiny", seed=settings.seed)
    layout = TokenLayout.from_tokenizer(modelio.tokenizer_of(model))
    train_idx, val_idx = split_by_piece(corpus.names, settings.val_fraction, settings.seed)
    return Run(model, corpus, layout, train_idx, val_idx, out, settings, "cpu", modelio.save_model)


def test_loss_goes_down_on_a_repeated_batch(corpus: Corpus) -> None:
    torch.manual_seed(0)
    model = modelio.new_model("tiny")
    batch = torch.from_numpy(np.stack([corpus.piece(0)[:17], corpus.piece(1)[:17]]).astype(np.int64))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss, count = two_level_loss(model, batch, 0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert count == int((batch[:, 1:] != 0).sum())
    assert losses[-1] < 0.5 * losses[0]


def test_token_positions_limit_the_targets(corpus: Corpus) -> None:
    model = modelio.new_model("tiny")
    batch = torch.from_numpy(np.stack([corpus.piece(0)[:17], corpus.piece(1)[:17]]).astype(np.int64))
    _, all_count = two_level_loss(model, batch, 0)
    _, some = two_level_loss(model, batch, 0, positions=4, generator=torch.Generator().manual_seed(0))
    per_row = (batch[:, 1:] != 0).sum(dim=-1)
    assert all_count == int(per_row.sum())
    assert some <= 2 * 4 * batch.shape[-1] and some < all_count


def test_learning_rate_warms_up_then_decays() -> None:
    s = Settings(steps=10, lr=1.0, min_lr=0.1, warmup=2)
    assert [round(lr_at(i, s), 4) for i in (0, 1, 2, 6, 10)] == [0.5, 1.0, 1.0, 0.55, 0.1]


def test_checkpoint_loads_back_and_generates(corpus: Corpus, tmp_path: Path) -> None:
    run = _run(corpus, tmp_path / "out")
    history = train(run)
    assert [s for s, _ in history.val] == [3, 6]
    folder = tmp_path / "out"
    assert (folder / "config.json").exists() and (folder / "model.safetensors").exists()
    loaded = load_checkpoint(folder)
    for key, value in run.model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    from conductor.train.evaluate import continue_rows

    tok = modelio.tokenizer_of(loaded)
    rows = continue_rows(loaded, tok, corpus.piece(0)[:10], notes=5, seed=1)
    assert rows.shape[1] == tok.max_token_seq
    assert 1 <= int((rows[:, 0] == tok.event_ids["note"]).sum()) <= 5
    for row in rows:  # every row is a well-formed event: each parameter in its own id range
        params = tok.events[tok.id_events[int(row[0])]]
        for i, name in enumerate(params):
            assert int(row[1 + i]) in tok.parameter_ids[name]
        assert set(row[1 + len(params) :].tolist()) <= {tok.pad_id}


def test_resume_equals_an_uninterrupted_run(corpus: Corpus, tmp_path: Path) -> None:
    whole = _run(corpus, tmp_path / "whole")
    train(whole)

    cut = _run(corpus, tmp_path / "cut")

    def stop_after_4(p: Progress) -> None:
        if p.step == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(cut, stop_after_4)
    assert torch.load(tmp_path / "cut" / STATE_FILE, weights_only=True)["step"] == 3
    resumed = _run(corpus, tmp_path / "cut")  # a fresh process: new model, same folder
    history = train(resumed)
    assert len(history.train) == 6
    for key, value in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key


def test_resume_with_other_settings_is_refused(corpus: Corpus, tmp_path: Path) -> None:
    train(_run(corpus, tmp_path / "out", replace(SETTINGS, steps=3)))
    with pytest.raises(ValueError, match="Resume with the same"):
        train(_run(corpus, tmp_path / "out", replace(SETTINGS, seed=6)))


def test_trained_folder_plays_through_the_backend(corpus: Corpus, tmp_path: Path) -> None:
    from conductor.backends.base import Constraints, GenerationRequest
    from conductor.backends.factory import build_model
    from conductor.core.events import Note
    from conductor.core.timebase import Timebase
    from conductor.piece.compiled import ModelSpec, SamplingSpec

    train(_run(corpus, tmp_path / "out", replace(SETTINGS, steps=3)))
    model = build_model(ModelSpec(kind="skytnt", checkpoint=tmp_path / "out"))
    context = tuple(Note(i * 0.5, 0.5, 60 + (2 * i) % 12, 80) for i in range(16))
    request = GenerationRequest(
        context,
        0.0,
        8.0,
        16.0,
        Timebase(120, 4, 4),
        8,
        SamplingSpec(seed=1),
        Constraints(channels=frozenset({1})),
    )
    notes = list(model.generate(request))
    model.close()
    assert 1 <= len(notes) <= 8
    assert all(n.channel == 1 and 8.0 <= n.onset <= 16.0 for n in notes)


def test_final_losses_and_card(corpus: Corpus, tmp_path: Path) -> None:
    from conductor.train import session
    from conductor.train.card import render

    run = _run(corpus, tmp_path / "out", replace(SETTINGS, steps=3))
    history = train(run)
    val, base = session.final_losses(run)
    assert val is not None and 0 < val < 10
    assert set(base) == {
        "unigram",
        "unigram per position",
        "validation, pitch tokens only",
        "unigram per position, pitch tokens only",
    }
    opts = session.Options(data=["x"], out=run.out, settings=run.settings, command="conductor train ...")
    text = render(session.card_info(run, history, opts, val, base))
    assert f"| validation (held-out pieces) | {val:.3f} |" in text
    assert "| baseline: unigram per position |" in text
    assert "- steps: 3 in" in text
