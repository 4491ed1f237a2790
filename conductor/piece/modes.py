"""Mode presets: how each mode differs from the defaults, unless the piece's `defaults` or the section
say otherwise.

Each preset is written in the piece's own settings (`SettingsRaw`, checked by the schema like any
section) and resolved key by key: mode preset ← piece `defaults` ← section (`conductor.piece.merge`).
A setting no layer writes takes its default from `conductor.piece.compiled`, the one source of
default values; the presets repeat some of them so that the table of defaults in
docs/piece-language.md shows each mode whole (a test keeps it in step with `mode_table()`).
"""

from __future__ import annotations

from typing import Any

from conductor.piece.merge import layer_from_raw
from conductor.piece.names import Mode
from conductor.piece.settings import (
    CadenceRaw,
    ChordsRaw,
    FilterRaw,
    ListenRaw,
    OutputRaw,
    RangeRaw,
    SettingsRaw,
    TurnsRaw,
    VelocityRaw,
)

_KEY_SNAP = FilterRaw(key="detect", action="snap")


def _listen(*sources: str, window: str | None = "4 bars") -> ListenRaw:
    return ListenRaw(sources=list(sources), window=window, max_events=256)


PRESETS: dict[Mode, SettingsRaw] = {
    Mode.DUET: SettingsRaw(
        on_exit="cancel",
        listen=_listen("human", "ai"),
        cadence=CadenceRaw(every="1 bar", overlap="overlap"),
        output=OutputRaw(events=16, span="1 bar", horizon="2 bars"),
        filters=[_KEY_SNAP],
    ),
    Mode.AI_CHORDS: SettingsRaw(
        on_exit="cancel",
        listen=_listen("human"),
        cadence=CadenceRaw(every="2 bars", overlap="replace"),
        output=OutputRaw(events=24, span="2 bars", horizon="2 bars"),
        filters=[
            _KEY_SNAP,
            FilterRaw(chords=ChordsRaw(min_notes=3, window="50 ms")),
            FilterRaw(range=RangeRaw(low=36, high=72)),
            FilterRaw(velocity=VelocityRaw(scale=0.8)),
        ],
    ),
    Mode.AI_SOLO: SettingsRaw(
        on_exit="cancel",
        listen=_listen("human", "ai"),
        cadence=CadenceRaw(every="2 bars", overlap="replace"),
        output=OutputRaw(events=16, span="2 bars", horizon="2 bars"),
        filters=[_KEY_SNAP, FilterRaw(melody="highest"), FilterRaw(range=RangeRaw(low=60, high=96))],
    ),
    Mode.TRADING: SettingsRaw(
        # window, output span and horizon default to one turn (see conductor.piece.sections)
        on_exit="ring",
        answer="develop",  # a trading answer is made of the turn just heard
        listen=_listen("human", "ai", window=None),  # the turn just heard, and its own before it
        cadence=CadenceRaw(turns=True, overlap="replace"),
        output=OutputRaw(events=32),
        turns=TurnsRaw(bars=4, starts="human"),
        filters=[_KEY_SNAP, FilterRaw(range=RangeRaw(low=36, high=96))],
    ),
    Mode.LISTEN: SettingsRaw(
        on_exit="cancel",
        listen=_listen("human"),
        cadence=CadenceRaw(overlap="wait"),  # silent: it never answers
        output=OutputRaw(events=16),
        filters=[],
    ),
}

SILENT_MODES = frozenset({Mode.LISTEN})

DESCRIPTIONS: dict[Mode, str] = {
    Mode.DUET: "Both play freely; the AI listens to you and to itself, no role filter.",
    Mode.AI_CHORDS: "The AI comps chords under your solo; it listens to you only.",
    Mode.AI_SOLO: "The AI solos over your chords: one melodic line, above middle C.",
    Mode.TRADING: "Trading fours (or N bars): silent in your turn, answers in its own.",
    Mode.LISTEN: "The AI is silent but keeps listening (memory fills): intros, rubato.",
}

assert set(PRESETS) == set(Mode) == set(DESCRIPTIONS)


def preset_values(mode: str) -> dict[str, Any]:
    """The preset of `mode` in canonical layer form (a fresh copy: `conductor.piece.merge`)."""
    return layer_from_raw(PRESETS[Mode(mode)], None).values


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
    for mode in PRESETS:
        values = preset_values(mode)
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
