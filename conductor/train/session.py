"""One `conductor train` run end to end: options → data + model → loop → checkpoint folder + card."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from conductor.train import card, modelio, parallel
from conductor.train.augment import Augment, TokenLayout
from conductor.train.batching import eval_batches, split_by_piece
from conductor.train.data import Corpus, Progress, is_roles_source, load_corpus, merge
from conductor.train.loop import STATE_FILE, History, Run, Settings
from conductor.train.metrics import unigram_losses
from conductor.train.validate import token_losses

log = logging.getLogger(__name__)
CARD_FILE = "card.json"


@dataclass(frozen=True)
class Options:
    """What the command line asks for."""

    data: Sequence[str]
    out: Path
    config: str | None = None  # from scratch
    init: Path | None = None  # fine-tune this checkpoint
    settings: Settings = field(default_factory=Settings)
    device: str = "cpu"
    resume: bool = False
    cache: Path | None = None
    command: str = ""
    notes: tuple[str, ...] = ()  # lines for the model card
    save_dtype: str = "float32"  # model.safetensors (train_state.pt always keeps float32)
    world: parallel.World = field(default_factory=parallel.World)  # torchrun's ranks (one: rank 0 of 1)
    workers: int = 1  # processes tokenising a source into its cache
    lora: Any = None  # a `conductor.train.lora.LoraSettings`: train only an adapter on `init`


def prepare(opts: Options, progress: Callable[[str], Progress] | None = None) -> Run:
    """Load data and model; check that ``out`` is fresh or resumable.

    On several ranks rank 0 loads (and builds any token cache) first, then the others read the cache.
    """
    state = opts.out / STATE_FILE
    if state.exists() and not opts.resume:
        raise FileExistsError(f"{opts.out} holds an unfinished run: pass --resume, or choose another --out")
    model = build_model(opts)
    if opts.lora is not None:
        model = _with_lora(model, opts)
    tok = modelio.tokenizer_of(model)
    with parallel.main_first(opts.world):
        corpus = load_data(opts, model.config.tokenizer, progress)
    train_idx, val_idx = split_by_piece(corpus.names, opts.settings.val_fraction, opts.settings.seed)
    if opts.world.is_main:
        opts.out.mkdir(parents=True, exist_ok=True)
    return Run(
        model,
        corpus,
        TokenLayout.from_tokenizer(tok),
        train_idx,
        val_idx,
        opts.out,
        opts.settings,
        opts.device,
        _saver(opts),
        world=opts.world,
    )


def build_model(opts: Options) -> Any:
    """The model to train: ``--from`` a checkpoint, or a new one of ``--config`` (seeded)."""
    if opts.init is not None:
        return modelio.load_model(opts.init)
    return modelio.new_model(opts.config or "conductor-small", seed=opts.settings.seed)


def load_data(opts: Options, tokenizer: str, progress: Callable[[str], Progress] | None = None) -> Corpus:
    """Every ``--data`` source, tokenised (or read from its cache), as one corpus."""
    block, workers = opts.settings.block, opts.workers
    return merge(
        [
            load_corpus(src, tokenizer, opts.cache, progress(src) if progress else None, block, workers)
            for src in opts.data
        ]
    )


def _saver(opts: Options) -> Any:
    """What writes the model at each checkpoint: the model folder, or only the adapter (--lora)."""
    if opts.lora is not None:
        from conductor.train.lora import save_adapter

        return partial(save_adapter, dtype=opts.save_dtype)
    return partial(modelio.save_model, roles=role_trained(opts), dtype=opts.save_dtype, key=_key(opts))


def _with_lora(model: Any, opts: Options) -> Any:
    from conductor.train import lora

    if opts.resume:
        lora.check_resume(opts.out, opts.lora)
    return lora.attach(model, opts.lora)


def _key(opts: Options) -> str:
    from conductor.backends.skytnt.roles import KEY_AS_PLAYED, KEY_COMMON

    return KEY_COMMON if opts.settings.augment is Augment.HUMAN else KEY_AS_PLAYED


def role_trained(opts: Options) -> bool:
    """True when the model learns the role format: role data, or fine-tuning a role-trained model."""
    from conductor.backends.skytnt.roles import read_format

    return any(is_roles_source(s) for s in opts.data) or (
        opts.init is not None and read_format(opts.init) is not None
    )


def final_losses(run: Run) -> tuple[float | None, dict[str, float]]:
    """(validation loss over every held-out block, baselines and the pitch tokens' losses)."""
    s = run.settings
    batches = eval_batches(run.corpus, run.val_pieces, run.layout, s.block, s.batch, s.augment)
    if not batches:
        return None, {}
    ce, targets = token_losses(run.model, batches, run.layout.pad_id, run.device)
    real = targets != run.layout.pad_id
    pitch = np.zeros_like(real)
    rows = np.nonzero(run.layout.pitch_col[targets[:, 0]] >= 0)[0]
    pitch[rows, run.layout.pitch_col[targets[rows, 0]]] = True
    vocab = int(run.model.config.vocab_size)
    base = unigram_losses((run.corpus.piece(i) for i in run.train_pieces), targets, run.layout.pad_id, vocab)
    base_pitch = unigram_losses(
        (run.corpus.piece(i) for i in run.train_pieces), targets, run.layout.pad_id, vocab, pitch
    )
    out = {**base, "validation, pitch tokens only": float(ce[pitch].mean())}
    out["unigram per position, pitch tokens only"] = base_pitch["unigram per position"]
    return float(ce[real].mean()), out


def model_summary(model: Any) -> dict[str, Any]:
    """Size facts of a model for its card."""
    cfg = model.config
    return {
        "config": cfg.name,
        "tokenizer": cfg.tokenizer,
        "event net layers": cfg.net.num_hidden_layers,
        "token net layers": cfg.net_token.num_hidden_layers,
        "width": cfg.n_embd,
        "heads": cfg.net.num_attention_heads,
        "inner": cfg.net.intermediate_size,
        "weights": f"{sum(p.numel() for p in model.parameters()):,}",
    }


def card_info(run: Run, history: History, opts: Options, val: float | None, base: dict[str, float]) -> Any:
    """The model card's facts for this run."""
    cfg = run.model.config
    model = model_summary(run.model) | _lora_facts(run.model, opts)
    settings = {k: str(v) for k, v in asdict(run.settings).items()}
    settings["ranks"] = str(run.world.size)
    settings["global batch"] = str(run.global_batch)
    return card.CardInfo(
        name=opts.out.name,
        command=opts.command,
        source=run.corpus.source,
        tokenizer=cfg.tokenizer,
        pieces_train=len(run.train_pieces),
        pieces_val=len(run.val_pieces),
        skipped=len(run.corpus.skipped),
        events=run.corpus.events,
        augment=str(run.settings.augment),
        model=model,
        settings=settings,
        steps=history.train[-1][0] if history.train else 0,
        seconds=history.seconds,
        tokens=history.tokens,
        train_loss=history.train[-1][1] if history.train else None,
        val_loss=val,
        baselines=base,
        notes=opts.notes,
        data=data_counts(run.corpus),
    )


def _lora_facts(model: Any, opts: Options) -> dict[str, Any]:
    """The adapter's lines of the card's model facts (none without --lora)."""
    if opts.lora is None:
        return {}
    from conductor.train.lora import summary

    return summary(model, opts.lora)


def data_counts(corpus: Corpus) -> dict[str, Any]:
    """Role-corpus counts for the card (empty for other data)."""
    from conductor.train.batching import GROUP_SEPARATOR

    if not any(GROUP_SEPARATOR in n for n in corpus.names):
        return {}
    from conductor.train.roledata import describe

    return describe(corpus)


def write_card(folder: Path, info: Any) -> Path:
    """Write README.md and card.json (which `evaluate` re-reads to add its metrics)."""
    (folder / CARD_FILE).write_text(json.dumps(asdict(info), indent=2, default=str) + "\n")
    return card.write_card(folder, info)


def read_card(folder: Path) -> card.CardInfo:
    """The card facts `write_card` stored."""
    return card.CardInfo(**json.loads((folder / CARD_FILE).read_text()))


def held_out(corpus: Corpus, names: Sequence[str]) -> list[int]:
    """Indices of the named pieces (for evaluating on the same held-out pieces later)."""
    wanted = set(names)
    return [i for i, n in enumerate(corpus.names) if n in wanted]


def augment_from(text: str) -> Augment:
    """`Augment` from a command-line word, with a clear error."""
    try:
        return Augment(text)
    except ValueError as exc:
        raise ValueError(f"--augment {text!r}: expected none, common, all or human") from exc
