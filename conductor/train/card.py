"""The model card (README.md) written next to every checkpoint: data, command, steps, losses, metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class CardInfo:
    """What a model card says. ``metrics`` rows come from `conductor.train.evaluate` (may be empty)."""

    name: str
    command: str
    source: str
    tokenizer: str
    pieces_train: int
    pieces_val: int
    skipped: int
    events: int
    augment: str
    model: Mapping[str, Any]  # config summary: layers, width, heads, parameters
    settings: Mapping[str, Any]
    steps: int
    seconds: float
    tokens: int
    train_loss: float | None
    val_loss: float | None
    baselines: Mapping[str, float] = field(default_factory=dict)  # name → validation loss
    metrics: Sequence[Mapping[str, Any]] = ()  # one row per system
    notes: Sequence[str] = ()
    data: Mapping[str, Any] = field(default_factory=dict)  # role corpus counts (roledata.describe)
    role_metrics: Sequence[Mapping[str, Any]] = ()  # role-conditioned checks, one row per system


def render(info: CardInfo) -> str:
    """The card as Markdown."""
    lines = [
        f"# {info.name}",
        "",
        "A SkyTNT-architecture MIDI model (event net + token net on `transformers.LlamaModel`) trained "
        "with `conductor train`. Load it with "
        '`build_model(ModelSpec(kind="skytnt", checkpoint=Path(...)))`.',
        "",
        "## Data",
        f"- source: `{info.source}` (tokenizer `{info.tokenizer}`)",
        f"- pieces: {info.pieces_train} for training, {info.pieces_val} held out for validation "
        f"(split by piece); {info.skipped} files skipped; {info.events} events in all",
        f"- augmentation: transposition `{info.augment}` (drums untouched)",
        *[f"- {k}: {_counts(v)}" for k, v in info.data.items()],
        "",
        "## Training",
        f"- command: `{info.command}`",
        f"- model: {_kv(info.model)}",
        f"- settings: {_kv(info.settings)}",
        f"- steps: {info.steps} in {info.seconds / 60:.1f} min ({info.tokens:,} target tokens, "
        f"{info.tokens / max(1e-9, info.seconds):,.0f} tokens/s)",
        "",
        *loss_table(info),
    ]
    if info.metrics:
        lines += ["", *metrics_table(info.metrics)]
    if info.role_metrics:
        lines += ["", *role_table(info.role_metrics)]
    if info.notes:
        lines += ["", "## Notes", *[f"- {n}" for n in info.notes]]
    return "\n".join(lines) + "\n"


def loss_table(info: CardInfo) -> list[str]:
    """Markdown table of the losses: the model's, then the baselines'."""
    rows = [
        ("last training batch", info.train_loss),
        ("validation (held-out pieces)", info.val_loss),
        *[(k if k.startswith("validation") else f"baseline: {k}", v) for k, v in info.baselines.items()],
    ]
    return [
        "## Losses (cross-entropy per token, nats)",
        "| | loss |",
        "|---|---|",
        *[f"| {name} | {_num(value)} |" for name, value in rows],
    ]


METRIC_COLUMNS = (
    ("system", "system"),
    ("in_key", "notes in prompt's key"),
    ("pc_similarity", "pitch-class hist. similarity"),
    ("pc_entropy", "pitch-class entropy (bits)"),
    ("scale_consistency", "scale consistency"),
    ("groove_consistency", "groove consistency"),
    ("notes_per_beat", "notes / beat"),
)


def metrics_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Markdown table of musical checks, one row per system."""
    head = "| " + " | ".join(title for _, title in METRIC_COLUMNS) + " |"
    out = [
        "## Musical checks on continuations of held-out pieces",
        "",
        head,
        "|" + "---|" * len(METRIC_COLUMNS),
    ]
    for row in rows:
        cells = [
            str(row.get(key, "")) if key == "system" else _num(row.get(key)) for key, _ in METRIC_COLUMNS
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


ROLE_COLUMNS = (
    ("data", "heard"),
    ("role", "role"),
    ("system", "system"),
    ("cases", "cases"),
    ("in_key", "in the human's key"),
    ("pc_cosine", "pitch-class cosine to the human"),
    ("answer_overlap", "answer's interval 3-grams in the phrase"),
    ("on_grid", "on the human's grid"),
    ("scale_consistency", "scale consistency"),
    ("groove_consistency", "groove consistency"),
    ("notes_per_beat", "notes / beat"),
)


def role_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Markdown table of role-conditioned checks (`conductor.train.roleeval`), one row per system and role."""
    text_keys = ("data", "role", "system", "cases")
    out = [
        "## Role checks: the AI's part against the human's (no key mask)",
        "",
        "| " + " | ".join(title for _, title in ROLE_COLUMNS) + " |",
        "|" + "---|" * len(ROLE_COLUMNS),
    ]
    for row in rows:
        cells = [str(row.get(k, "")) if k in text_keys else _num(row.get(k)) for k, _ in ROLE_COLUMNS]
        out.append("| " + " | ".join(cells) + " |")
    return out


def write_card(folder: Path, info: CardInfo) -> Path:
    """Write ``folder/README.md``; metrics saved by `evaluate` in ``folder/metrics.json`` are included."""
    metrics_path = folder / METRICS_FILE
    if not info.metrics and metrics_path.exists():
        data = json.loads(metrics_path.read_text())
        info = _with(info, metrics=data.get("rows", []), notes=[*info.notes, *data.get("notes", [])])
    path = folder / "README.md"
    path.write_text(render(info))
    return path


def _with(info: CardInfo, **changes: Any) -> CardInfo:
    from dataclasses import replace

    return replace(info, **changes)


def _kv(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items())


def _counts(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    return str(value)


def _num(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)
