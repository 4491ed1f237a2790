"""Tempo augmentation of token rows: the same music at other tempi, and at half speed.

Two changes, both on cached rows (no re-tokenising), drawn per piece per epoch:
- the ``set_tempo`` rows' bpm is scaled by a factor drawn log-uniformly in ``[1/JITTER, JITTER]``
  (clipped to the token range), so the model hears a tune at many tempi and does not tie the music
  to the bpm a score happened to carry — live, the piece's tempo is the musician's;
- with probability ``STRETCH_P``, every onset and duration is doubled in beats (a half-time feel:
  quarter-note chorales become half notes, the note density per beat halves). Skipped when a time
  step or a duration would leave the token range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

JITTER = 1.4
STRETCH_P = 0.25
TIME_STEPS = 16


@dataclass(frozen=True)
class TimeLayout:
    """Where the time, duration and bpm tokens sit in a tokenizer's rows."""

    time1_base: int
    time2_base: int
    time1_size: int
    event_min: int  # ids at or above this in column 0 are events (below: pad, bos, eos)
    event_max: int
    note_id: int
    duration_col: int
    duration_base: int
    duration_size: int
    tempo_id: int
    bpm_col: int
    bpm_base: int
    bpm_size: int

    @classmethod
    def from_tokenizer(cls, tok: Any) -> TimeLayout:
        """The layout of a SkyTNT tokenizer (time1, time2 first in every event)."""
        p, ev = tok.parameter_ids, tok.event_ids
        return cls(
            int(p["time1"][0]),
            int(p["time2"][0]),
            len(p["time1"]),
            min(int(i) for i in ev.values()),
            max(int(i) for i in ev.values()),
            int(ev["note"]),
            1 + list(tok.events["note"]).index("duration"),
            int(p["duration"][0]),
            len(p["duration"]),
            int(ev["set_tempo"]),
            1 + list(tok.events["set_tempo"]).index("bpm"),
            int(p["bpm"][0]),
            len(p["bpm"]),
        )


def scale_bpm(rows: np.ndarray, lay: TimeLayout, factor: float) -> np.ndarray:
    """A copy with every tempo's bpm multiplied by ``factor`` (rounded, kept in 1..max)."""
    out = rows.copy()
    idx = np.nonzero(rows[:, 0] == lay.tempo_id)[0]
    bpm = rows[idx, lay.bpm_col].astype(np.int64) - lay.bpm_base
    scaled = np.clip(np.rint(bpm * factor), 1, lay.bpm_size - 1)
    out[idx, lay.bpm_col] = (scaled + lay.bpm_base).astype(rows.dtype)
    return out


def stretch(rows: np.ndarray, lay: TimeLayout) -> np.ndarray | None:
    """A copy with onsets and durations doubled in beats; None when that leaves the token range."""
    idx = np.nonzero((rows[:, 0] >= lay.event_min) & (rows[:, 0] <= lay.event_max))[0]
    beats = np.cumsum(rows[idx, 1].astype(np.int64) - lay.time1_base)
    sixteenths = 2 * (beats * TIME_STEPS + rows[idx, 2].astype(np.int64) - lay.time2_base)
    new_beats = sixteenths // TIME_STEPS
    steps = np.diff(new_beats, prepend=0)
    notes = idx[rows[idx, 0] == lay.note_id]
    durations = 2 * (rows[notes, lay.duration_col].astype(np.int64) - lay.duration_base)
    if (len(steps) and steps.max() >= lay.time1_size) or (
        len(durations) and durations.max() >= lay.duration_size
    ):
        return None
    out = rows.copy()
    out[idx, 1] = (steps + lay.time1_base).astype(rows.dtype)
    out[idx, 2] = (sixteenths % TIME_STEPS + lay.time2_base).astype(rows.dtype)
    out[notes, lay.duration_col] = (durations + lay.duration_base).astype(rows.dtype)
    return out


@dataclass(frozen=True)
class TempoDraw:
    """One piece's tempo augmentation for one epoch: the bpm factor, and whether to play it half time."""

    factor: float
    half_time: bool


def draw_tempo(rng: np.random.Generator) -> TempoDraw:
    """The random part of `vary_tempo` (drawn in the same order)."""
    factor = float(np.exp(rng.uniform(-np.log(JITTER), np.log(JITTER))))
    return TempoDraw(factor, bool(rng.random() < STRETCH_P))


def apply_tempo(rows: np.ndarray, lay: TimeLayout, draw: TempoDraw) -> np.ndarray:
    """The rows with a drawn tempo augmentation applied (the same number of rows)."""
    out = scale_bpm(rows, lay, draw.factor)
    if draw.half_time:
        stretched = stretch(out, lay)
        if stretched is not None:
            return stretched
    return out


def vary_tempo(rows: np.ndarray, lay: TimeLayout, rng: np.random.Generator) -> np.ndarray:
    """One piece's tempo augmentation for one epoch (see the module docstring)."""
    return apply_tempo(rows, lay, draw_tempo(rng))
