"""Compose `examples/mark_human.mid`: the bundled human part for `pieces/mark_sat.yaml`.

A pianist in G major at 96 bpm, 4/4, 80 bars (about 3 min 20 s): left-hand chords (I–vi–IV–V) and a
right-hand melody, in phrases with rests so that phrase-end cadences and trading have room:
- bars 1–16: 3-bar phrases, each followed by a bar of rest;
- bars 17–48: 4 bars played, 4 bars of rest (trading in fours);
- bars 49–80: 2-bar phrases and 2-bar rests, chords under a busier melody.
The melody stays above the chords (E4 and up, the chords D4 and down), so no pitch is ever struck
again while it sounds.
Deterministic (fixed seed): run `python examples/make_human.py` to rebuild the same bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import mido

BPM = 96
TPB = 480
BAR = 4 * TPB
SCALE = (0, 2, 4, 5, 7, 9, 11)  # major
TONIC = 67  # G4
CHORDS = ((55, 59, 62), (52, 55, 59), (48, 52, 55), (50, 54, 57))  # G, Em, C, D (left hand)
# The melody's lowest degree: E4, above the left hand's top note (D4 in G): a melody that went down to
# D4 struck it again while the chord held it (a 6 ms re-strike). No pitch is struck while it sounds.
LOWEST = -2
RHYTHMS = ((2, 2, 2, 2), (1, 1, 2, 2, 2), (3, 1, 2, 2), (2, 1, 1, 4), (1, 1, 1, 1, 2, 2))  # eighths


def plays(bar: int) -> bool:
    """Does the pianist play in `bar` (0-based)?"""
    if bar < 16:
        return bar % 4 != 3
    if bar < 48:
        return (bar - 16) % 8 < 4
    return (bar - 48) % 4 < 2


def degree_pitch(degree: int) -> int:
    octave, step = divmod(degree, len(SCALE))
    return TONIC + 12 * octave + SCALE[step]


def melody_bar(rng: random.Random, bar: int, degree: int) -> tuple[list[tuple[int, int, int, int]], int]:
    """(start tick, length, pitch, velocity) of one bar's melody; returns the last scale degree."""
    notes = []
    tick = bar * BAR
    for eighths in rng.choice(RHYTHMS):
        degree = max(LOWEST, min(9, degree + rng.choice((-2, -1, -1, 1, 1, 2, 0, 3, -3))))
        length = eighths * TPB // 2
        velocity = 64 + rng.randrange(28)
        notes.append((tick + rng.randrange(-8, 9), length - 20, degree_pitch(degree), velocity))
        tick += length
    return notes, degree


def chord_bar(rng: random.Random, bar: int) -> list[tuple[int, int, int, int]]:
    """Two half-note chords in the left hand."""
    chord = CHORDS[bar % len(CHORDS)]
    notes = []
    for half in (0, 2 * TPB):
        velocity = 52 + rng.randrange(16)
        for i, pitch in enumerate(chord):
            notes.append((bar * BAR + half + 4 * i, 2 * TPB - 40, pitch, velocity))
    return notes


def compose(bars: int = 80, seed: int = 1) -> mido.MidiFile:
    """The whole human part as a type-0 MIDI file."""
    rng = random.Random(seed)
    notes: list[tuple[int, int, int, int]] = []
    degree = 0
    for bar in range(bars):
        if plays(bar):
            melody, degree = melody_bar(rng, bar, degree)
            notes += melody + chord_bar(rng, bar)
    events = []
    for start, length, pitch, velocity in notes:
        start = max(0, start)
        events.append((start, 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((start + max(length, 30), 0, mido.Message("note_off", note=pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1], e[2].note))
    track = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name="human"),
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM)),
            mido.MetaMessage("time_signature", numerator=4, denominator=4),
            mido.Message("program_change", program=0),
        ]
    )
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=BAR))
    midi = mido.MidiFile(type=0, ticks_per_beat=TPB)
    midi.tracks.append(track)
    return midi


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("mark_human.mid")
    compose().save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
