"""The human side of a rehearsal: a MIDI file's messages on the clock, and footswitch presses.

Every channel message (notes, pedal, CCs, program changes) is played as the human; CCs and notes the
piece maps to actions fire them, as a real footswitch would. Marker or text events `next`,
`previous`, `goto NAME`, `hold`, `mute`, `panic` or `regenerate` become presses.

A take replays too: from a take's MIDI file only the `human` track is played (with the tempo and
marker tracks; never the `ai` track, which would be heard as the human), and from a live take's
`.jsonl` log the human's and the footswitch's messages, at the times they were recorded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import mido

from conductor.engine.take_midi import read_midi_text
from conductor.piece.compiled import Action

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Press:
    """A footswitch action at logical time `t`."""

    t: float
    action: Action
    target: str | None = None


@dataclass(frozen=True, slots=True)
class HumanInput:
    """Timed human messages (seconds from the file's start) and presses, both in time order."""

    messages: tuple[tuple[float, mido.Message], ...]
    presses: tuple[Press, ...] = ()

    @property
    def end(self) -> float:
        """The time of the last message or press."""
        times = [t for t, _ in self.messages[-1:]] + [p.t for p in self.presses[-1:]]
        return max(times, default=0.0)

    def with_presses(self, presses: list[Press]) -> HumanInput:
        """The same input with more presses (merged in time order)."""
        return HumanInput(self.messages, tuple(sorted((*self.presses, *presses), key=lambda p: p.t)))


def parse_marker(text: str, t: float) -> Press | None:
    """`next`, `previous`, `goto NAME`, ... → a Press; anything else → None."""
    word, _, rest = text.strip().partition(" ")
    try:
        action = Action(word.lower())
    except ValueError:
        return None
    return Press(t, action, rest.strip() or None)


def parse_presses(text: str) -> list[Press]:
    """`--press 12.5,40` → `next` presses at those seconds."""
    try:
        times = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise ValueError(f"--press expects seconds separated by commas (like 12.5,40), got {text!r}") from exc
    return [Press(t, Action.NEXT) for t in sorted(times)]


def read_human(path: Path) -> HumanInput:
    """Read a MIDI file or a take as the human's part (tempo changes honoured; times in seconds)."""
    if path.suffix == ".jsonl":
        return read_take_log(path)
    midi = mido.MidiFile(path)
    if any(track.name == "human" for track in midi.tracks):
        midi = _human_part(midi)
    t = 0.0
    messages: list[tuple[float, mido.Message]] = []
    presses: list[Press] = []
    for msg in midi:
        t += msg.time
        if msg.is_meta:
            marked = msg.type in ("marker", "text", "cue_marker")
            if marked and (press := parse_marker(read_midi_text(msg.text), t)):
                presses.append(press)
        elif hasattr(msg, "channel"):
            messages.append((t, msg.copy(time=0)))
    return HumanInput(tuple(messages), tuple(presses))


def _human_part(midi: mido.MidiFile) -> mido.MidiFile:
    """A take's MIDI file reduced to its `human` track and the tracks with no channel messages."""
    keep = [
        track
        for track in midi.tracks
        if track.name == "human" or not any(hasattr(msg, "channel") for msg in track)
    ]
    return mido.MidiFile(type=1, ticks_per_beat=midi.ticks_per_beat, tracks=keep)


def read_take_log(path: Path) -> HumanInput:
    """The human and footswitch messages of a live take's `.jsonl` log, at their recorded times.

    Footswitch messages are replayed as messages (the piece maps them to actions again), not as the
    log's `press` lines, so a press is never fired twice.
    """
    messages: list[tuple[float, mido.Message]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line) if line.strip() else {}
        if event.get("kind") in ("human", "footswitch"):
            messages.append((float(event["t"]), mido.Message.from_bytes(event["bytes"])))
    messages.sort(key=lambda item: item[0])
    return HumanInput(tuple(messages))
