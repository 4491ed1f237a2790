"""Musical checks on continuations of held-out pieces: a trained model vs the same size untrained vs Markov.

For each held-out piece: the first ``prompt`` rows are the prompt; the real next ``length`` note events
are the reference; each system continues the prompt by ``length`` notes. The transformer samples raw
(no key or range masks: this measures the model, not the constraints); the Markov backend hears the
prompt as the performer's playing and answers a request, as it does live. Results go to
``metrics.json`` beside the model and into its card.

    python -m conductor.train.evaluate models/conductor-small --data corpus:bach --pieces 24
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conductor.train import card, modelio, session
from conductor.train.batching import split_by_piece
from conductor.train.data import load_corpus, merge
from conductor.train.metrics import NoteEvent, continuation_checks, mean_checks

BPM = 120.0  # the tempo prompts are played at for the Markov backend (beats ↔ seconds)


def rows_to_notes(rows: np.ndarray, tok: Any) -> list[tuple[int, NoteEvent]]:
    """(row index, note) for every note row; onsets in beats from the first row (SkyTNT timing)."""
    col = {name: {p: 1 + i for i, p in enumerate(ps)} for name, ps in tok.events.items()}
    base = {p: ids[0] for p, ids in tok.parameter_ids.items()}
    id_events = {i: n for n, i in tok.event_ids.items()}
    beat, out = 0, []
    for r, row in enumerate(rows):
        name = id_events.get(int(row[0]))
        if name is None:
            continue
        c = col[name]
        value = {p: int(row[i]) - base[p] for p, i in c.items()}
        beat += value["time1"]
        if name == "note":
            onset = beat + value["time2"] / 16
            out.append(
                (
                    r,
                    NoteEvent(
                        onset,
                        value["pitch"],
                        value["duration"] / 16,
                        max(1, value["velocity"]),
                        value["channel"],
                    ),
                )
            )
    return out


@torch.no_grad()
def continue_rows(
    model: Any,
    tok: Any,
    prompt: np.ndarray,
    notes: int,
    seed: int,
    temperature: float = 1.0,
    top_p: float = 0.98,
    top_k: int = 20,
) -> np.ndarray:
    """Sample rows after ``prompt`` until ``notes`` note rows (or EOS), upstream's way (type masks only)."""
    from transformers import DynamicCache

    gen = torch.Generator().manual_seed(seed)
    cache = DynamicCache()
    hidden = model.forward(torch.from_numpy(prompt.astype(np.int64))[None], cache)[:, -1]
    rows, made = [], 0
    while made < notes:
        row = _sample_row(model, tok, hidden, gen, temperature, top_p, top_k)
        if row[0] == tok.eos_id:
            break
        rows.append(row)
        made += row[0] == tok.event_ids["note"]
        hidden = model.forward(torch.tensor([[row]]), cache)[:, -1]
    width = prompt.shape[1]
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def _sample_row(
    model: Any,
    tok: Any,
    hidden: torch.Tensor,
    gen: torch.Generator,
    temperature: float,
    top_p: float,
    top_k: int,
) -> list[int]:
    row: list[int] = []
    params: list[str] = []
    for i in range(tok.max_token_seq):
        if i == 0:
            allowed = [*tok.event_ids.values(), tok.eos_id]
        elif i - 1 < len(params):
            allowed = tok.parameter_ids[params[i - 1]]
        else:
            break
        x = torch.tensor([row]) if row else None
        logits = model.forward_token(hidden, x)[0, -1] / temperature
        row.append(_sample(logits, allowed, gen, top_p, top_k))
        if i == 0 and row[0] != tok.eos_id:
            params = list(tok.events[tok.id_events[row[0]]])
        if row[0] == tok.eos_id:
            break
    return row + [tok.pad_id] * (tok.max_token_seq - len(row))


def _sample(
    logits: torch.Tensor, allowed: Sequence[int], gen: torch.Generator, top_p: float, top_k: int
) -> int:
    idx = torch.tensor(list(allowed))
    probs = torch.softmax(logits[idx], dim=-1)
    p, order = torch.sort(probs, descending=True)
    keep = (torch.cumsum(p, 0) - p) <= top_p
    keep[top_k:] = False
    p = p * keep
    choice = torch.multinomial(p / p.sum(), 1, generator=gen)
    return int(idx[order[choice]])


def markov_continuation(prompt: Sequence[NoteEvent], notes: int, seed: int) -> list[NoteEvent]:
    """The Markov backend's answer to the prompt, played to it at `BPM` (onsets in beats)."""
    from conductor.backends.base import GenerationRequest
    from conductor.backends.markov.backend import MarkovModel
    from conductor.core.events import Note
    from conductor.core.timebase import Timebase
    from conductor.piece.compiled import ModelSpec, SamplingSpec
    from conductor.piece.names import ModelKind

    spb = 60.0 / BPM
    heard = [Note(n.onset * spb, n.duration * spb, n.pitch, n.velocity, n.channel) for n in prompt]
    model = MarkovModel.from_spec(ModelSpec(kind=ModelKind.MARKOV))
    model.observe(heard)
    start = max(n.end for n in heard)
    request = GenerationRequest(
        tuple(heard), 0.0, start, start + 4 * notes * spb, Timebase(BPM, 4, 4), notes, SamplingSpec(seed=seed)
    )
    out = list(model.generate(request))
    return [NoteEvent(n.onset / spb, n.pitch, n.duration / spb, n.velocity, n.channel) for n in out]


def transformer_continuation(
    model: Any, tok: Any, rows: np.ndarray, prompt: int, notes: int, seed: int
) -> list[NoteEvent]:
    """The model's continuation of ``rows[:prompt]`` as notes (onsets in beats, same origin)."""
    new = continue_rows(model, tok, rows[:prompt], notes, seed)
    both = np.concatenate([rows[:prompt], new]) if len(new) else rows[:prompt]
    return [n for r, n in rows_to_notes(both, tok) if r >= prompt]


def piece_checks(
    systems: dict[str, Any], tok: Any, rows: np.ndarray, prompt: int, notes: int, seed: int
) -> dict[str, dict[str, float]] | None:
    """Checks of every system's continuation of one piece (None if the piece is too short)."""
    all_notes = rows_to_notes(rows, tok)
    head = [n for r, n in all_notes if r < prompt]
    reference = [n for r, n in all_notes if r >= prompt][:notes]
    if len(head) < 8 or len(reference) < notes:
        return None
    out = {"held-out original (reference)": continuation_checks(head, reference)}
    for name, model in systems.items():
        cont = transformer_continuation(model, tok, rows, prompt, notes, seed)
        out[name] = continuation_checks(head, cont)
    out["markov (order 4, learns the prompt)"] = continuation_checks(
        head, markov_continuation(head, notes, seed)
    )
    return out


def evaluate(
    folder: Path,
    data: Sequence[str],
    pieces: int = 24,
    prompt: int = 96,
    notes: int = 64,
    seed: int = 0,
    cache: Path | None = None,
) -> dict[str, Any]:
    """Run the checks on up to ``pieces`` held-out pieces; returns and writes ``metrics.json``."""
    info = session.read_card(folder) if (folder / session.CARD_FILE).exists() else None
    trained = modelio.load_model(folder).eval()
    systems = {
        f"{folder.name} (trained)": trained,
        "same size, untrained": modelio.untrained_like(trained, seed),
    }
    tok = modelio.tokenizer_of(trained)
    corpus = merge([load_corpus(src, trained.config.tokenizer, cache) for src in data])
    settings = info.settings if info else {}
    _, val = split_by_piece(
        corpus.names, float(settings.get("val_fraction", 0.05)), int(settings.get("seed", 0))
    )
    per_system: dict[str, list[dict[str, float]]] = {}
    used = 0
    for i in val:
        result = (
            piece_checks(systems, tok, corpus.piece(i), prompt, notes, seed + i) if used < pieces else None
        )
        used += result is not None
        for name, checks in (result or {}).items():
            per_system.setdefault(name, []).append(checks)
    summary = _summary(per_system, used, corpus.source, prompt, notes)
    (folder / card.METRICS_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    if info is not None:
        session.write_card(folder, with_losses(info, trained, corpus, folder))
    return summary


def _summary(
    per_system: dict[str, list[dict[str, float]]], used: int, source: str, prompt: int, notes: int
) -> dict[str, Any]:
    note = (
        f"musical checks: {used} held-out pieces of {source}; prompt = first {prompt} events, "
        f"continuation = {notes} notes; sampling temperature 1.0, top_p 0.98, top_k 20, no masks"
    )
    rows = [{"system": name, **_rounded(mean_checks(r))} for name, r in per_system.items()]
    return {"rows": rows, "notes": [note], "pieces": used}


def with_losses(info: card.CardInfo, model: Any, corpus: Any, folder: Path) -> card.CardInfo:
    """The card with validation loss and baselines recomputed for ``model`` on its held-out pieces."""
    from dataclasses import replace

    from conductor.train.augment import Augment, TokenLayout
    from conductor.train.loop import Run, Settings

    st = info.settings
    settings = Settings(block=int(st["block"]), batch=int(st["batch"]), augment=Augment(str(st["augment"])))
    train_idx, val_idx = split_by_piece(corpus.names, float(st["val_fraction"]), int(st["seed"]))
    layout = TokenLayout.from_tokenizer(modelio.tokenizer_of(model))
    run = Run(model, corpus, layout, train_idx, val_idx, folder, settings)
    val, base = session.final_losses(run)
    return replace(info, val_loss=val, baselines=base)


def _rounded(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(v, 4)) for k, v in d.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: evaluate a trained model folder and update its card."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--pieces", type=int, default=24)
    p.add_argument("--prompt", type=int, default=96)
    p.add_argument("--notes", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = evaluate(args.folder, args.data, args.pieces, args.prompt, args.notes, args.seed)
    print("\n".join(card.metrics_table(result["rows"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
