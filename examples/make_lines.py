"""Compose two more bundled humans for `bench/bench_musical.py`: a swung line and a rubato line.

- `examples/swung_blues.mid`: a Bb blues line, 132 bpm, 4/4, three 12-bar choruses (36 bars, ~65 s).
  Eighth notes swung 2:1 (the first of a pair lasts 2/3 of the beat), chord tones on the beats and
  the Bb blues/mixolydian scale between them, accents off the beat, ±12 ms of human timing. Chorus 1
  in 3-bar phrases with a bar of rest; choruses 2–3 play 4 bars and rest 4 (room to trade fours).
  About 4 % of the notes are a semitone wrong and 4 % are missing.
- `examples/rubato_mazurka.mid`: a mazurka-like line in A minor, nominally 120 bpm, 3/4, 32 bars
  (~48 s): a bass note on beat 1 and a chord on beats 2–3 in the left hand, a dotted melody with
  an accent on beat 2 in the right. The tempo drifts within ±15 % in every 4-bar phrase (slow start,
  pushing to the middle, a ritardando at the end); the file is written at the nominal tempo with
  the notes where the drifting tempo puts them, as a recording of a player would be. About 4 %
  wrong notes (a semitone off), 4 % missing.

Deterministic (fixed seeds): `python examples/make_lines.py` rebuilds the same bytes.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from pathlib import Path

import mido

TPB = 480
Event = tuple[float, float, int, int]  # onset s, duration s, pitch, velocity
HERE = Path(__file__).resolve().parent

# ------------------------------------------------------------------ swung Bb blues

BLUES_BPM = 132
BLUES = ("Bb7", "Eb7", "Bb7", "Bb7", "Eb7", "Eb7", "Bb7", "G7", "Cm7", "F7", "Bb7", "F7")
CHORD_TONES = {"Bb7": (10, 2, 5, 8), "Eb7": (3, 7, 10, 1), "G7": (7, 11, 2, 5), "Cm7": (0, 3, 7, 10),
               "F7": (5, 9, 0, 3)}  # fmt: skip
BLUES_SCALE = (10, 0, 1, 2, 3, 5, 7, 8)  # Bb mixolydian with the blue third (Db)
LOW, HIGH = 58, 79  # Bb3..G5


def blues_plays(bar: int) -> bool:
    """Chorus 1: 3 bars on, 1 off; choruses 2–3: 4 on, 4 off."""
    return bar % 4 != 3 if bar < 12 else (bar - 12) % 8 < 4


def nearest(pitch: int, classes: tuple[int, ...], rng: random.Random, last: int) -> int:
    """A pitch of `classes` near `pitch` (within a fifth), kept in range, other than `last`."""
    options = [p for p in range(pitch - 7, pitch + 8) if p % 12 in classes and LOW <= p <= HIGH and p != last]
    options.sort(key=lambda p: (abs(p - pitch), rng.random()))
    return rng.choice(options[:3])


def swing_bar(rng: random.Random, bar: int, pitch: int) -> tuple[list[Event], int]:
    """One bar of swung eighths (some held as quarters) over the bar's chord."""
    beat = 60 / BLUES_BPM
    notes: list[Event] = []
    for b in range(4):
        start = (bar * 4 + b) * beat
        pitch = nearest(pitch + rng.choice((-4, -2, 2, 4)), CHORD_TONES[BLUES[bar % 12]], rng, pitch)
        if rng.random() < 0.3:  # a quarter note
            notes.append((start, 0.9 * beat, pitch, 70 + rng.randrange(15)))
            continue
        notes.append((start, 0.6 * beat, pitch, 62 + rng.randrange(12)))
        pitch = nearest(pitch + rng.choice((-2, -1, 1, 2)), BLUES_SCALE, rng, pitch)
        notes.append((start + 2 * beat / 3, 0.3 * beat, pitch, 78 + rng.randrange(14)))  # accented
    return notes, pitch


def swung_blues(seed: int = 3) -> list[Event]:
    rng = random.Random(seed)
    notes: list[Event] = []
    pitch = 70
    for bar in range(36):
        if blues_plays(bar):
            bar_notes, pitch = swing_bar(rng, bar, pitch)
            notes += bar_notes
    jitter = [(on + rng.uniform(-0.012, 0.012), d, p, v) for on, d, p, v in notes]
    return mistakes(jitter, rng, in_key=lambda p: p % 12 in BLUES_SCALE)


# ------------------------------------------------------------------ rubato mazurka

MAZURKA_BPM = 120
A_MINOR = (9, 11, 0, 2, 4, 5, 7, 8)  # pitch classes of A minor, natural and harmonic (G and G#)
MELODY = (0, 2, 3, 5, 7, 8, 11)  # A harmonic minor, semitones above A4
MAZURKA = ((45, (60, 64)), (40, (59, 62)), (45, (60, 64)), (40, (56, 62)))  # Am, E, Am, E7 (bass, chord)
RHYTHMS = ((1.5, 0.5, 1.0), (1.0, 1.0, 1.0), (0.75, 0.25, 2.0), (2.0, 1.0))  # beats of a 3/4 bar


def tempo_factor(beat: float) -> float:
    """Speed relative to the nominal tempo, within ±15 %, over each 4-bar (12-beat) phrase."""
    phase = (beat % 12) / 12
    return 1.0 + 0.13 * math.sin(2 * math.pi * (phase - 0.15)) - 0.02 * max(0.0, phase - 0.8) / 0.2


def beat_clock(beats: int) -> list[float]:
    """Seconds at each beat (and one past the last) under the drifting tempo, in 1/8-beat steps."""
    times, t = [0.0], 0.0
    for b in range(beats):
        for k in range(8):
            t += (60 / MAZURKA_BPM) / 8 / tempo_factor(b + k / 8)
        times.append(t)
    return times


def mazurka_beats(rng: random.Random, bars: int) -> list[tuple[float, float, int, int]]:
    """(onset beat, length in beats, pitch, velocity) of both hands, in beats."""
    notes = []
    degree = 2
    for bar in range(bars):
        bass, chord = MAZURKA[(bar // 2) % 4]
        notes.append((bar * 3.0, 0.9, bass, 60))
        notes += [(bar * 3.0 + b, 0.8, p, 50) for b in (1, 2) for p in chord]
        beat = bar * 3.0
        for length in rng.choice(RHYTHMS):
            degree = max(-2, min(9, degree + rng.choice((-2, -1, -1, 1, 1, 2))))
            octave, step = divmod(degree, len(MELODY))
            accent = 20 if abs(beat % 3 - 1) < 1e-9 else 0  # the mazurka's beat 2
            notes.append((beat, length * 0.9, 69 + 12 * octave + MELODY[step], 64 + accent))
            beat += length
    return notes


def rubato_mazurka(seed: int = 5) -> list[Event]:
    rng = random.Random(seed)
    beats = mazurka_beats(rng, 32)
    clock = beat_clock(32 * 3 + 3)

    def at(beat: float) -> float:
        whole = int(beat)
        return clock[whole] + (beat - whole) * (clock[whole + 1] - clock[whole])

    notes = [(at(b), at(b + n) - at(b), p, v) for b, n, p, v in beats]
    return mistakes(notes, rng, in_key=lambda p: p % 12 in A_MINOR)


# ------------------------------------------------------------------ shared


def mistakes(notes: list[Event], rng: random.Random, in_key: Callable[[int], bool]) -> list[Event]:
    """About 4 % of the notes dropped and 4 % moved a semitone out of the key."""
    out = []
    for onset, duration, pitch, velocity in notes:
        roll = rng.random()
        if roll < 0.04:
            continue
        if roll < 0.08:
            pitch = next((q for q in (pitch + 1, pitch - 1) if not in_key(q)), pitch + 1)
        out.append((max(0.0, onset), duration, pitch, velocity))
    return out


def playable(notes: list[Event]) -> list[Event]:
    """Each note let go 20 ms before its pitch is struck again at the latest: one key cannot be
    pressed twice without a release (a second note-on would cut the first, its note-off the second)."""
    out = []
    ordered = sorted(notes)
    for i, (onset, duration, pitch, velocity) in enumerate(ordered):
        again = next((o for o, _, p, _ in ordered[i + 1 :] if p == pitch), math.inf)
        out.append((onset, min(duration, again - onset - 0.02), pitch, velocity))
    return out


def midi_file(notes: list[Event], bpm: float, meter: tuple[int, int], name: str) -> mido.MidiFile:
    """A type-0 file at the constant tempo `bpm`, the notes at their times in seconds."""
    rate = TPB * bpm / 60  # ticks a second
    events = []
    for onset, duration, pitch, velocity in playable(notes):
        start = round(onset * rate)
        events.append((start, 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((start + max(round(duration * rate), 1), 0, mido.Message("note_off", note=pitch)))
    events.sort(key=lambda e: (e[0], e[1], e[2].note))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    track.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=TPB * meter[0]))
    return mido.MidiFile(type=0, ticks_per_beat=TPB, tracks=[track])


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    files = {
        "swung_blues.mid": midi_file(swung_blues(), BLUES_BPM, (4, 4), "human"),
        "rubato_mazurka.mid": midi_file(rubato_mazurka(), MAZURKA_BPM, (3, 4), "human"),
    }
    for name, midi in files.items():
        midi.save(folder / name)
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
