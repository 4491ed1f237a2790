"""Transposition of token rows, as the performer did: to a common key, or to every key.

Transposition works on the cached token rows (no re-tokenising): the pitch token of every note row is
moved, except on the drum channel (MIDI channel 10, 0-based 9), whose pitches are instruments. A shift
that would take any note outside ``[low, high]`` is not allowed for that piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from conductor.backends.skytnt.roles import HUMAN_CHANNEL, common_shift

DRUM_CHANNEL = 9
# Krumhansl-Kessler key profiles (as music21's KrumhanslKessler weights), C major / C minor
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


class Augment(StrEnum):
    """How training pieces are transposed."""

    NONE = "none"
    COMMON = "common"  # every piece to C major / A minor
    ALL = "all"  # a random key each epoch (all twelve over time)
    HUMAN = "human"  # to C major / A minor by the key of the human's part (the role format)


@dataclass(frozen=True)
class TokenLayout:
    """Where pitches and channels sit in a tokenizer's rows.

    ``pitch_col[e]`` / ``channel_col[e]`` give, for event id ``e``, the column of its pitch / channel
    token (-1 where the event has none). Pitch token of MIDI pitch p is ``pitch_base + p``.
    """

    pad_id: int
    pitch_base: int
    channel_base: int
    pitch_col: np.ndarray  # (vocab,) int
    channel_col: np.ndarray  # (vocab,) int
    key_sig: KeySigLayout | None = None  # v2's key_signature event, moved with the notes

    @classmethod
    def from_tokenizer(cls, tok: Any) -> TokenLayout:
        """The layout of a SkyTNT tokenizer (events, parameter_ids, event ids)."""
        event_ids = _event_ids(tok)
        pitch_col = np.full(int(tok.vocab_size), -1, dtype=np.int64)
        channel_col = np.full(int(tok.vocab_size), -1, dtype=np.int64)
        for name, params in tok.events.items():
            if "pitch" in params:
                pitch_col[event_ids[name]] = 1 + list(params).index("pitch")
            if "channel" in params:
                channel_col[event_ids[name]] = 1 + list(params).index("channel")
        return cls(
            pad_id=int(tok.pad_id),
            pitch_base=int(tok.parameter_ids["pitch"][0]),
            channel_base=int(tok.parameter_ids["channel"][0]),
            pitch_col=pitch_col,
            channel_col=channel_col,
            key_sig=KeySigLayout.from_tokenizer(tok, event_ids),
        )

    def pitched(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row indices, pitch columns) of the pitched, non-drum note rows."""
        first = rows[:, 0].astype(np.int64)
        pcol = self.pitch_col[first]
        ccol = self.channel_col[first]
        idx = np.nonzero(pcol >= 0)[0]
        channels = rows[idx, ccol[idx]].astype(np.int64) - self.channel_base
        keep = idx[channels != DRUM_CHANNEL]
        return keep, pcol[keep]

    def pitches(self, rows: np.ndarray, channel: int | None = None) -> np.ndarray:
        """MIDI pitches of the non-drum notes (of one channel if given), in row order."""
        idx, cols = self.pitched(rows)
        if channel is not None:
            on = (
                rows[idx, self.channel_col[rows[idx, 0].astype(np.int64)]].astype(np.int64)
                - self.channel_base
            )
            idx, cols = idx[on == channel], cols[on == channel]
        return rows[idx, cols].astype(np.int64) - self.pitch_base


@dataclass(frozen=True)
class KeySigLayout:
    """Columns of v2's ``key_signature`` event (``sf + 7``, ``mi``) and of notes' tracks."""

    event_id: int
    note_id: int
    track_col: int  # same column in notes and key signatures (time1, time2, track first)
    sf_col: int
    mi_col: int
    sf_base: int
    mi_base: int

    @classmethod
    def from_tokenizer(cls, tok: Any, event_ids: dict[str, int]) -> KeySigLayout | None:
        """The layout, or None for a tokenizer without key signatures (v1)."""
        params = tok.events.get("key_signature")
        if not params or "note" not in tok.events:
            return None
        return cls(
            event_ids["key_signature"],
            event_ids["note"],
            1 + list(params).index("track"),
            1 + list(params).index("sf"),
            1 + list(params).index("mi"),
            int(tok.parameter_ids["sf"][0]),
            int(tok.parameter_ids["mi"][0]),
        )


def shifted_sf(sf: int, minor: int, shift: int) -> int:
    """Sharps/flats of a signature moved by ``shift`` semitones (the tokenizer's spelling rule)."""
    root = (sf * 7 + shift) % 12  # the major key of that signature, moved
    out = (root * 7) % 12
    if out > 6 or (minor == 1 and out >= 5):
        out -= 12
    return out


def _shift_key_sigs(
    rows: np.ndarray, out: np.ndarray, ks: KeySigLayout, shift: int, channel_base: int, channel_col: int
) -> None:
    notes = rows[rows[:, 0] == ks.note_id]
    pitched_tracks = {
        int(t)
        for t, c in zip(notes[:, ks.track_col], notes[:, channel_col], strict=True)
        if int(c) - channel_base != DRUM_CHANNEL
    }
    for i in np.nonzero(rows[:, 0] == ks.event_id)[0]:
        if int(rows[i, ks.track_col]) not in pitched_tracks:
            continue  # a drum-only track keeps sf 0
        sf = int(rows[i, ks.sf_col]) - ks.sf_base - 7
        minor = int(rows[i, ks.mi_col]) - ks.mi_base
        out[i, ks.sf_col] = ks.sf_base + 7 + shifted_sf(sf, minor, shift)


def _event_ids(tok: Any) -> dict[str, int]:
    ids = getattr(tok, "event_ids", None)
    if ids:
        return {str(k): int(v) for k, v in ids.items()}
    # SkyTNT allocates pad, bos, eos, then one id per event in definition order
    first = max(int(tok.pad_id), int(tok.bos_id), int(tok.eos_id)) + 1
    return {name: first + i for i, name in enumerate(tok.events)}


def transpose(rows: np.ndarray, layout: TokenLayout, shift: int) -> np.ndarray:
    """A copy of ``rows`` with every non-drum note moved by ``shift`` semitones (not range-checked)."""
    out = rows.copy()
    if shift:
        idx, cols = layout.pitched(rows)
        out[idx, cols] = rows[idx, cols] + shift
        ks = layout.key_sig
        if ks is not None:
            channel_col = int(layout.channel_col[ks.note_id])
            _shift_key_sigs(rows, out, ks, shift, layout.channel_base, channel_col)
    return out


def allowed_shifts(
    rows: np.ndarray, layout: TokenLayout, shifts: Sequence[int], low: int = 0, high: int = 127
) -> list[int]:
    """The shifts (in the order given) that keep every non-drum note within ``[low, high]``."""
    pitches = layout.pitches(rows)
    if not len(pitches):
        return [s for s in shifts if s == 0] or [0]
    lo, hi = int(pitches.min()), int(pitches.max())
    return [s for s in shifts if lo + s >= low and hi + s <= high]


def estimate_key(pitches: np.ndarray) -> tuple[int, str]:
    """(tonic pitch class, "major"|"minor") by correlating the pitch-class histogram with key profiles."""
    hist = np.bincount(np.asarray(pitches, dtype=np.int64) % 12, minlength=12).astype(float)
    best = (-2.0, 0, "major")
    for mode, profile in (("major", MAJOR), ("minor", MINOR)):
        for tonic in range(12):
            r = _corr(hist, np.roll(profile, tonic))
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def common_key_shift(
    rows: np.ndarray, layout: TokenLayout, low: int = 0, high: int = 127, channel: int | None = None
) -> int:
    """The shift taking a piece to C major / A minor, nearest first (an octave away if out of range).

    ``channel``: estimate the key from that channel's notes only (the role format's human part),
    as the live engine estimates it from the human alone; all notes when that channel has none.
    """
    pitches = layout.pitches(rows, channel)
    tonic, mode = estimate_key(pitches if len(pitches) else layout.pitches(rows))
    base = common_shift(tonic, mode == "minor")
    candidates = [base, base + 12, base - 12]
    fits = allowed_shifts(rows, layout, candidates, low, high)
    return fits[0] if fits else 0


def choose_shift(
    rows: np.ndarray,
    layout: TokenLayout,
    mode: Augment,
    rng: np.random.Generator,
    low: int = 0,
    high: int = 127,
) -> int:
    """The shift one piece gets this epoch under ``mode``."""
    if mode is Augment.NONE:
        return 0
    if mode is Augment.COMMON:
        return common_key_shift(rows, layout, low, high)
    if mode is Augment.HUMAN:
        return common_key_shift(rows, layout, low, high, channel=HUMAN_CHANNEL)
    fits = allowed_shifts(rows, layout, range(-6, 6), low, high)
    return int(rng.choice(fits)) if fits else 0
