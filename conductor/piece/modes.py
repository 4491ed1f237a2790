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
