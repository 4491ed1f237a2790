"""Mode presets: what each mode does unless the piece's `defaults` or the section say otherwise.

Settings resolve key by key: mode preset ← piece `defaults` ← section (see `conductor.piece.merge`).
The table of defaults is in docs/piece-language.md (a test keeps it in step with `PRESETS`).
"""

from __future__ import annotations

import copy
from typing import Any

from conductor.piece.schema import MODES

_KEY_SNAP = ("key", {"key": "detect", "action": "snap"})

PRESETS: dict[str, dict[str, Any]] = {
    "duet": {
        "on_exit": "cancel",
        "listen": {"sources": ["human", "ai"], "window": "4 bars", "max_events": 256},
        "cadence": {"every": "1 bar", "overlap": "overlap"},
        "output": {"events": 16, "span": "1 bar", "horizon": "2 bars"},
        "filters": [_KEY_SNAP],
    },
    "ai_chords": {
        "on_exit": "cancel",
        "listen": {"sources": ["human"], "window": "4 bars", "max_events": 256},
        "cadence": {"every": "2 bars", "overlap": "replace"},
        "output": {"events": 24, "span": "2 bars", "horizon": "2 bars"},
        "filters": [
            _KEY_SNAP,
            ("chords", {"min_notes": 3, "window": "50 ms"}),
            ("range", {"low": 36, "high": 72}),
            ("velocity", {"scale": 0.8}),
        ],
    },
    "ai_solo": {
        "on_exit": "cancel",
        "listen": {"sources": ["human", "ai"], "window": "4 bars", "max_events": 256},
        "cadence": {"every": "2 bars", "overlap": "replace"},
        "output": {"events": 16, "span": "2 bars", "horizon": "2 bars"},
        "filters": [_KEY_SNAP, ("melody", {"line": "highest"}), ("range", {"low": 60, "high": 96})],
    },
    "trading": {
        # window, output span and horizon default to one turn (see compile)
        "on_exit": "ring",
        "listen": {"sources": ["human"], "max_events": 256},
        "cadence": {"turns": True, "overlap": "replace"},
        "output": {"events": 32},
        "turns": {"bars": 4, "starts": "human"},
        "filters": [_KEY_SNAP, ("range", {"low": 36, "high": 96})],
    },
    "listen": {
        "on_exit": "cancel",
        "listen": {"sources": ["human"], "window": "4 bars", "max_events": 256},
        "cadence": {"overlap": "wait"},  # silent: it never answers
        "output": {"events": 16},
        "filters": [],
    },
}

SILENT_MODES = frozenset({"listen"})

DESCRIPTIONS: dict[str, str] = {
    "duet": "Both play freely; the AI listens to you and to itself, no role filter.",
    "ai_chords": "The AI comps chords under your solo; it listens to you only.",
    "ai_solo": "The AI solos over your chords: one melodic line, above middle C.",
    "trading": "Trading fours (or N bars): silent in your turn, answers in its own.",
    "listen": "The AI is silent but keeps listening (memory fills): intros, rubato.",
}

assert set(PRESETS) == set(MODES) == set(DESCRIPTIONS)


def preset(mode: str) -> dict[str, Any]:
    """A fresh copy of the preset of `mode` (canonical layer form, see `conductor.piece.merge`)."""
    return copy.deepcopy(PRESETS[mode])


def _filter_words(kind: str, settings: dict[str, Any]) -> str:
    if kind == "key":
        return f"key {settings['key']}/{settings['action']}"
    if kind == "chords":
        return f"chords ≥{settings['min_notes']} notes within {settings['window']}"
    if kind == "melody":
        return f"melody {settings['line']}"
    if kind == "range":
        return f"range {settings['low']}..{settings['high']}"
    if kind == "velocity":
        return f"velocity ×{settings['scale']}"
    return f"{kind} {settings}"


def _answers(mode: str, values: dict[str, Any]) -> str:
    cadence = values["cadence"]
    if mode in SILENT_MODES:
        return "never (silent)"
    if cadence.get("turns"):
        turns = values["turns"]
        return f"at each AI turn ({turns['bars']} bars, {turns['starts']} starts)"
    if "phrase_end" in cadence:
        return f"after {cadence['phrase_end']} of silence"
    return f"every {cadence['every']}"


def mode_table() -> str:
    """The presets as a markdown table (kept verbatim in docs/piece-language.md)."""
    rows = [
        "| mode | listens to | window | answers | overlap | output | horizon | filters | on_exit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, values in PRESETS.items():
        listen, output = values["listen"], values["output"]
        silent = mode in SILENT_MODES
        span = output.get("span", "1 turn" if mode == "trading" else "—")
        filters = ", ".join(_filter_words(k, s) for k, s in values["filters"]) or "—"
        cells = [
            f"`{mode}`",
            " + ".join(listen["sources"]),
            listen.get("window", "1 turn"),
            _answers(mode, values),
            "—" if silent else values["cadence"]["overlap"],
            "—" if silent else f"≤{output['events']} notes, {span}",
            "—" if silent else output.get("horizon", "1 turn"),
            filters,
            values["on_exit"],
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
