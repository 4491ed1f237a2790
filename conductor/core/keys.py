"""Music theory: keys — the one key parser, key detection, snapping pitches into a key.

`parse_key` reads a key name as a musician writes it (the piece's grammar): a tonic A-G, an optional
accidental (#, b, ♯, ♭, music21's '-', or the words sharp/flat) and an optional mode (major, minor,
maj, min, m; major when none), in any case. The key keeps the tonic as written ("A# minor" stays
A# minor); a detected key is named with the usual spelling (`make_key`).

`detect_key` is the Krumhansl-Schmuckler method with music21's published profiles: a pitch-class
histogram weighted by duration is correlated (Pearson) with the 12 rotations of the major and the
minor profile, and the best of the 24 wins — the same computation music21's
`analysis.discrete.KeyWeightKeyAnalysis` does, without building a music21 stream (microseconds
instead of ~12 ms). The default profile is Aarden-Essen, what `stream.analyze('key')` uses; the
numbers below are music21's `getWeights('major' | 'minor')` (a test checks them against music21).

Results are cached by the shape of the histogram, so re-analysing the same window is a dict lookup.
Everything here is pure and realtime-safe (no imports of music21 at run time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from conductor.core.errors import too_long
from conductor.core.events import Note

PROFILES: dict[str, dict[str, tuple[float, ...]]] = {
    "aarden": {  # music21 AardenEssen — the default of stream.analyze('key')
        "major": (17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624,
                  8.15494, 0.232998, 4.95122),
        "minor": (18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621,
                  1.93186, 7.37619, 1.75623),
    },
    "krumhansl": {  # music21 KrumhanslSchmuckler
        "major": (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        "minor": (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    },
}  # fmt: skip

SCALES: dict[str, tuple[int, ...]] = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_NAMES = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"),
}
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])\s*([#♯]|b|-|♭|sharp|flat)?\s*(major|minor|maj|min|m)?\s*$", re.IGNORECASE
)
_SPELLING = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "-": "b", "♭": "b", "flat": "b"}


@dataclass(frozen=True, slots=True)
class Key:
    """A key: its name ("F# minor"), tonic pitch class, mode, scale pitch classes and how sure we are.

    `correlation` is the Pearson correlation of the notes with the key's profile (1.0 for a key
    given by name).
    """

    name: str
    tonic_pc: int
    mode: str  # "major" | "minor" (natural minor scale)
    pitch_classes: frozenset[int]
    correlation: float = 1.0


def make_key(tonic_pc: int, mode: str, correlation: float = 1.0) -> Key:
    """The key on `tonic_pc` (0 = C) in `mode`, named with the usual spelling."""
    tonic_pc %= 12
    pcs = frozenset((tonic_pc + step) % 12 for step in SCALES[mode])
    return Key(f"{_NAMES[mode][tonic_pc]} {mode}", tonic_pc, mode, pcs, correlation)


@lru_cache(maxsize=128)
def parse_key(text: str) -> Key:
    """Parse "D minor", "F# major", "Bb minor", "E- major", "Ebm", "g" (major when no mode is given).

    Raises ValueError("'H major' is not a key") for anything else.
    """
    match = _KEY_RE.match(text)
    if match is None:
        raise ValueError(f"'{too_long(text)}' is not a key")
    letter, accidental, mode_word = match.groups()
    spelling = _SPELLING[accidental.lower()] if accidental else ""
    pc = (_LETTERS[letter.upper()] + {"#": 1, "b": -1, "": 0}[spelling]) % 12
    mode = "minor" if mode_word is not None and mode_word.lower() in ("minor", "min", "m") else "major"
    return replace(make_key(pc, mode), name=f"{letter.upper()}{spelling} {mode}")


def histogram(notes: Iterable[Note]) -> tuple[float, ...]:
    """Pitch-class histogram weighted by duration (by count if every duration is zero)."""
    weights = [0.0] * 12
    counts = [0.0] * 12
    for note in notes:
        weights[note.pitch % 12] += note.duration
        counts[note.pitch % 12] += 1.0
    return tuple(weights) if sum(weights) > 0 else tuple(counts)


def detect_key(notes: Iterable[Note], profile: str = "aarden") -> Key | None:
    """The most likely key of `notes` (None when there are none). Cached by histogram shape."""
    hist = histogram(notes)
    total = sum(hist)
    if total <= 0:
        return None
    shape = tuple(round(h / total, 6) for h in hist)
    return _detect_cached(shape, profile)


@lru_cache(maxsize=4096)
def _detect_cached(shape: tuple[float, ...], profile: str) -> Key:
    best: tuple[float, int, str] = (-2.0, 0, "major")
    for mode in ("major", "minor"):
        for tonic, r in enumerate(_correlations(shape, PROFILES[profile][mode])):
            if r > best[0] + 1e-12:  # ties keep the first: major before minor, lower tonic first
                best = (r, tonic, mode)
    return make_key(best[1], best[2], best[0])


def _correlations(hist: tuple[float, ...], weights: tuple[float, ...]) -> list[float]:
    """Pearson correlation of `hist` with `weights` rotated to each of the 12 tonics."""
    h_mean = sum(hist) / 12
    w_mean = sum(weights) / 12
    hc = [h - h_mean for h in hist]
    wc = [w - w_mean for w in weights]
    h_norm = math.sqrt(sum(x * x for x in hc))
    w_norm = math.sqrt(sum(x * x for x in wc))
    if h_norm == 0 or w_norm == 0:
        return [0.0] * 12
    return [sum(wc[(j - tonic) % 12] * hc[j] for j in range(12)) / (h_norm * w_norm) for tonic in range(12)]


def snap_pitch(pitch: int, pitch_classes: frozenset[int]) -> int:
    """The nearest pitch whose class is in `pitch_classes`; ties go down (a semitone below wins).

    In a major or natural-minor scale every outside pitch lies a semitone from a scale tone on each
    side, so snapping always moves it down a semitone (up only below MIDI 0).
    """
    if not pitch_classes or pitch % 12 in pitch_classes:
        return pitch
    for step in range(1, 12):
        if pitch - step >= 0 and (pitch - step) % 12 in pitch_classes:
            return pitch - step
        if pitch + step <= 127 and (pitch + step) % 12 in pitch_classes:
            return pitch + step
    return pitch


def key_correlation(notes: Iterable[Note], key: Key, profile: str = "aarden") -> float:
    """How well `notes` fit `key`: the Pearson correlation with the key's rotated profile."""
    hist = histogram(notes)
    total = sum(hist)
    if total <= 0:
        return 0.0
    shape = tuple(h / total for h in hist)
    return _correlations(shape, PROFILES[profile][key.mode])[key.tonic_pc]
