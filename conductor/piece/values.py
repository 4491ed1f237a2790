"""Small musical values read from piece files: meters and pitches (keys: `conductor.core.keys`)."""

from __future__ import annotations

import re

from conductor.core.errors import too_long

_METER = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")
_PITCH = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)(-?\d)\s*$")
_STEPS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_ALTER = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
BEAT_UNITS = (1, 2, 4, 8, 16, 32)
KEY_EXAMPLES = "'detect' or a key such as 'D minor', 'Bb major', 'F# minor'"
PITCH_EXAMPLES = "a MIDI note number 0..127 or a note name C-1..G9 such as 'C4' (= 60) or 'F#3'"


def parse_meter(text: str) -> tuple[int, int]:
    """`'6/8'` → `(6, 8)`. Raises ValueError with a musician's sentence."""
    match = _METER.match(text)
    if match is None:
        raise ValueError(f"'{too_long(text)}' is not a meter")
    beats, unit = int(match[1]), int(match[2])
    if not 1 <= beats <= 32:
        raise ValueError(f"'{text}' has {beats} beats in a bar; 1..32 are possible")
    if unit not in BEAT_UNITS:
        raise ValueError(f"'{text}' has a beat unit of {unit}; it must be one of 1, 2, 4, 8, 16, 32")
    return beats, unit


_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def pitch_name(number: int) -> str:
    """`60` → `'C4'`, `61` → `'C#4'` (MIDI 0 is C-1, 127 is G9)."""
    return f"{_NAMES[number % 12]}{number // 12 - 1}"


def parse_pitch(value: int | str) -> int:
    """A MIDI note number, or a note name with octave (`C4` = 60). Raises ValueError, in the musician's
    terms: note names for a name, numbers for a number."""
    if isinstance(value, int):
        if not 0 <= value <= 127:
            raise ValueError(f"{value} is outside the MIDI range 0..127")
        return value
    match = _PITCH.match(value)
    if match is None:
        raise ValueError(f"'{too_long(value)}' is not a note")
    number = 12 * (int(match[3]) + 1) + _STEPS[match[1].lower()] + _ALTER[match[2]]
    if number < 0:
        raise ValueError(f"'{value.strip()}' is below C-1, the lowest MIDI note")
    if number > 127:
        raise ValueError(f"'{value.strip()}' is above G9, the highest MIDI note")
    return number
