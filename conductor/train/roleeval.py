"""Role-conditioned evaluation: given the human's part, does the AI's part fit it?

On held-out works of the role corpus (the split the run used) and on players' files it never heard
(``--player``, e.g. examples/mark_human.mid), each system answers live-like prompts (`rolecases`):
the role-trained model, the same size untrained, the previous plain model through the live backend,
Markov, random notes, and the written AI part. Checks (`rolemetrics`): in the human's key, pitch-class
cosine to the human, trading answer overlap, on the human's beat grid, plus entropy, scale and groove
consistency and density. Results go to ``role_metrics.json`` and into the model card.

    python -m conductor.train.roleeval runs/roles --data roles:all --player examples/mark_human.mid
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from conductor.backends.skytnt.roles import (
    KEY_AS_PLAYED,
    KEY_COMMON,
    TICKS_PER_BEAT,
    Meter,
    PartNote,
    Role,
    read_key,
)
from conductor.backends.skytnt.sampling import Sampling
from conductor.train import card, modelio, session
from conductor.train.batching import piece_group, split_by_piece
from conductor.train.data import default_cache_dir, load_corpus, merge
from conductor.train.metrics import NoteEvent, continuation_checks, mean_checks
from conductor.train.pairs import pairs_of, stable_hash
from conductor.train.rolecases import Case, beats, pair_case, player_cases
from conductor.train.rolemetrics import role_checks
from conductor.train.rolesystems import (
    SAMPLING,
    RoleFormatModel,
    backend_answer,
    random_answer,
    reference_answer,
)

ROLE_METRICS_FILE = "role_metrics.json"
System = Callable[[Case, int], list[NoteEvent]]


def held_out_cases(folder: Path, data: Sequence[str], per_role: int, cache: Path | None) -> list[Case]:
    """Up to ``per_role`` cases per role from the works the run held out."""
    from conductor.train.roledata import load_works

    info = session.read_card(folder)
    st = info.settings
    cache_dir = cache or default_cache_dir()
    tok = info.tokenizer
    corpus = merge([load_corpus(src, tok, cache_dir, block=int(st["block"])) for src in data])
    _, val = split_by_piece(corpus.names, float(st["val_fraction"]), int(st["seed"]))
    held = {piece_group(corpus.names[i]) for i in val}
    cases: dict[Role, list[Case]] = {role: [] for role in Role}
    for src in data:
        works, _ = load_works(src, cache_dir)
        for work in sorted(works, key=lambda w: stable_hash(w.name)):
            if work.name not in held and f"{src}:{work.name}" not in held:
                continue
            for pair in pairs_of(work):
                case = pair_case(pair) if len(cases[pair.role]) < per_role else None
                if case is not None:
                    cases[pair.role].append(case)
    return [c for role in Role for c in cases[role]]


def read_player(path: Path) -> tuple[list[PartNote], Meter]:
    """A player's MIDI file: every non-drum note (ticks at 480 per beat), its first tempo and meter."""
    from conductor.backends.skytnt.midi_score import read_score

    score = read_score(path)
    scale = TICKS_PER_BEAT / score[0]
    events = [e for track in score[1:] for e in track]
    notes = [
        PartNote(round(e[1] * scale), max(1, round(e[2] * scale)), e[4], e[5])
        for e in events
        if e[0] == "note" and e[3] != 9 and e[5] > 0
    ]
    tempo = next((e[2] for e in events if e[0] == "set_tempo"), 500_000)
    sig = next((e for e in events if e[0] == "time_signature"), None)
    meter = Meter(tempo, sig[2], 2 ** sig[3]) if sig else Meter(tempo)
    return sorted(notes), meter


def systems(
    folder: Path, previous: Path | None, seed: int, sampling: Sampling = SAMPLING, key: str | None = None
) -> dict[str, System]:
    """Every system to compare, by name (see the module docstring)."""
    from conductor.backends.markov.backend import MarkovModel
    from conductor.backends.skytnt.backend import SkyTNTModel
    from conductor.piece.compiled import ModelSpec
    from conductor.piece.names import Dtype, ModelKind

    trained = modelio.load_model(folder).eval()
    untrained = modelio.untrained_like(trained, seed)
    key = key or read_key(folder)
    out: dict[str, System] = {
        "written AI part (reference)": lambda c, s: reference_answer(c),
        f"{folder.name} (role format)": RoleFormatModel(trained, sampling=sampling, key=key).answer,
        "same size, untrained (role format)": RoleFormatModel(untrained, sampling=sampling, key=key).answer,
    }
    if previous is not None:
        plain = SkyTNTModel.from_spec(
            ModelSpec(kind=ModelKind.SKYTNT, checkpoint=previous, dtype=Dtype.FLOAT16)
        )
        out[f"previous: {previous.name} (live backend)"] = lambda c, s: _fresh(plain, c, s, sampling)
    out["markov (order 4, learns the prompt)"] = lambda c, s: backend_answer(
        MarkovModel.from_spec(ModelSpec(kind=ModelKind.MARKOV)), c, s, sampling
    )
    out["random notes"] = random_answer
    return out


def _fresh(model: Any, case: Case, seed: int, sampling: Sampling) -> list[NoteEvent]:
    model.close()  # forget the previous case's context
    return backend_answer(model, case, seed, sampling)


def case_checks(case: Case, answer: Sequence[NoteEvent]) -> dict[str, float]:
    """Role checks plus the AI part's own entropy, scale and groove consistency and density."""
    own = continuation_checks(beats(case.human), answer)
    keep = ("pc_entropy", "scale_consistency", "groove_consistency", "notes_per_beat")
    return {**role_checks(beats(case.human), answer, case.phrase()), **{k: own[k] for k in keep}}


def run_cases(label: str, cases: Sequence[Case], named: dict[str, System], seed: int) -> list[dict[str, Any]]:
    """Mean checks per (system, role) and per system over all roles, as table rows."""
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for i, case in enumerate(cases):
        for name, system in named.items():
            if name.startswith("written") and not case.reference:
                continue
            checks = case_checks(case, system(case, seed + i))
            results.setdefault((name, case.role.value), []).append(checks)
            results.setdefault((name, "all"), []).append(checks)
    return [
        {"data": label, "system": name, "role": role, "cases": len(rows), **_rounded(mean_checks(rows))}
        for (name, role), rows in sorted(
            results.items(), key=lambda kv: (_order(kv[0][1]), list(named).index(kv[0][0]))
        )
    ]


def _order(role: str) -> int:
    return [r.value for r in Role].index(role) if role != "all" else len(Role)


def _rounded(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(v, 3)) for k, v in d.items()}


def evaluate_roles(
    folder: Path,
    data: Sequence[str],
    players: Sequence[Path] = (),
    previous: Path | None = None,
    per_role: int = 16,
    seed: int = 0,
    cache: Path | None = None,
    sampling: Sampling = SAMPLING,
    key: str | None = None,
) -> dict[str, Any]:
    """Run every system on held-out cases and players' files; write the JSON and the card.

    ``key``: how the model reads the parts (`KEY_AS_PLAYED` or `KEY_COMMON`); None: its config.json.
    """
    named = systems(folder, previous, seed, sampling, key)
    cases = held_out_cases(folder, data, per_role, cache)
    rows = run_cases("held-out works", cases, named, seed)
    for path in players:
        notes, meter = read_player(path)
        rows += run_cases(path.name, player_cases(path.stem, notes, meter), named, seed)
    masses = key_masses(folder, cases, seed, key)
    mode = key or read_key(folder)
    lines = [f"{_note(per_role, sampling)}; parts read: {mode}", _mass_note(masses)]
    result: dict[str, Any] = {"rows": rows, "key_mass": masses, "notes": lines}
    (folder / ROLE_METRICS_FILE).write_text(json.dumps(result, indent=2) + "\n")
    if (folder / session.CARD_FILE).exists():
        info = session.read_card(folder)
        kept = [n for n in info.notes if not n.startswith(("role checks:", "probability the model"))]
        session.write_card(folder, replace(info, role_metrics=rows, notes=[*kept, *lines]))
    return result


def key_masses(folder: Path, cases: Sequence[Case], seed: int, key: str | None = None) -> dict[str, float]:
    """Teacher-forced in-key probability at the written AI notes (`conductor.train.keymass`)."""
    from conductor.train.keymass import mean_key_mass

    trained = modelio.load_model(folder).eval()
    tok = modelio.tokenizer_of(trained)
    untrained = modelio.untrained_like(trained, seed).eval()
    common = (key or read_key(folder)) == KEY_COMMON
    return {
        folder.name: round(mean_key_mass(trained, tok, cases, common), 3),
        "same size, untrained": round(mean_key_mass(untrained, tok, cases, common), 3),
    }


def _mass_note(masses: dict[str, float]) -> str:
    shown = ", ".join(f"{k} {v}" for k, v in masses.items())
    return (
        "probability the model gives to the human's key at the written AI notes of the held-out "
        f"spans (teacher-forced, no sampling; a key-blind model ~0.58): {shown}"
    )


def _note(per_role: int, sampling: Sampling) -> str:
    return (
        f"role checks: up to {per_role} held-out works per role, one cut each (trading: the middle AI "
        "phrase; else mid-piece, 2 bars); prompt = up to 8 bars of both parts; decoding on the AI's "
        f"channel only, no key or pitch mask; temperature {sampling.temperature}, top_p "
        f"{sampling.top_p}, top_k {sampling.top_k}, float16"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: evaluate a role-trained model folder and update its card."""
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--player", action="append", type=Path, default=[])
    p.add_argument("--previous", type=Path, default=None, help="a plain SkyTNT model to compare")
    p.add_argument("--cases", type=int, default=16, help="held-out works per role")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--temperature", type=float, default=SAMPLING.temperature)
    p.add_argument("--top-p", type=float, default=SAMPLING.top_p)
    p.add_argument(
        "--key",
        choices=("as-played", "common"),
        default=None,
        help="how the model reads the parts (default: its config.json): common = moved to C major / "
        "A minor by the human's key, the answer moved back",
    )
    p.add_argument("--cache", type=Path, default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    sampling = replace(SAMPLING, temperature=args.temperature, top_p=args.top_p)
    result = evaluate_roles(
        args.folder,
        args.data,
        args.player,
        args.previous,
        args.cases,
        args.seed,
        args.cache,
        sampling,
        {None: None, "as-played": KEY_AS_PLAYED, "common": KEY_COMMON}[args.key],
    )
    print("\n".join(card.role_table(result["rows"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
