"""The human side of a rehearsal: a MIDI file's messages on the clock, and footswitch presses.

Every channel message (notes, pedal, CCs, program changes) is played as the human; CCs and notes the
piece maps to actions fire them, as a real footswitch would. Marker or text events `next`,
`previous`, `goto NAME`, `hold`, `mute`, `panic` or `regenerate` become presses.

A take replays too: from a take's MIDI file only the `human` track is played (with the tempo and
marker tracks; never the `ai` track, which would be heard as the human), and from a live take's
`.jsonl` log the human's and the footswitch's messages, at the times they were recorded.

The file is untrusted: it is read by `conductor.core.midifile` / `conductor.rehearse.takelog`, and
whatever is wrong with it is one `InputFileError` line naming the file; what was skipped on the way
(a malformed meta event, a torn last log line) comes back as `warnings`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mido

from conductor.core.inputfile import InputFileError
from conductor.core.midifile import read_midi, timed_messages
from conductor.engine.take_midi import read_midi_text
from conductor.piece.names import Action
from conductor.rehearse.takelog import read_take_messages

log = logging.getLogger(__name__)
MAX_SECONDS = 4 * 3600  # a longer human part is a damaged time, and would rehearse for ages


@dataclass(frozen=True, slots=True)
class Press:
    """A footswitch action at logical time `t`."""

    t: float
    action: Action
    target: str | None = None


@dataclass(frozen=True, slots=True)
class HumanInput:
    """Timed human messages (seconds from the file's start) and presses, both in time order, and
    what the reader skipped (one line each: a torn last line, a malformed meta event)."""

    messages: tuple[tuple[float, mido.Message], ...]
    presses: tuple[Press, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def end(self) -> float:
        """The time of the last message or press."""
        times = [t for t, _ in self.messages[-1:]] + [p.t for p in self.presses[-1:]]
        return max(times, default=0.0)

    def with_presses(self, presses: list[Press]) -> HumanInput:
        """The same input with more presses (merged in time order)."""
        merged = tuple(sorted((*self.presses, *presses), key=lambda p: p.t))
        return HumanInput(self.messages, merged, self.warnings)


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


def read_human(path: Path, kinds: tuple[str, ...] = ("human", "footswitch")) -> HumanInput:
    """A MIDI file or a take as the human's part (tempo changes honoured; times in seconds).

    From a `.jsonl` take log, the lines of `kinds`. Raises `InputFileError` (one line naming the file
    and the fault) for anything that cannot be read; what was skipped is in `warnings`.
    """
    if path.suffix == ".jsonl":
        log_read = read_take_messages(path, kinds)
        part = HumanInput(_channel_messages(log_read.messages), warnings=log_read.warnings)
    else:
        part = _read_midi_human(path)
    if part.end > MAX_SECONDS:
        raise InputFileError(
            f"{path}: its last event is at {part.end:.0f} s: expected a recording under "
            f"{MAX_SECONDS // 3600} hours (is a delta time or a time damaged?)"
        )
    return part


def _read_midi_human(path: Path) -> HumanInput:
    midi_read = read_midi(path)
    midi = midi_read.midi
    if any(track.name == "human" for track in midi.tracks):
        midi = _human_part(midi)
    messages: list[tuple[float, mido.Message]] = []
    presses: list[Press] = []
    for t, msg in timed_messages(midi):
        if msg.is_meta:
            marked = msg.type in ("marker", "text", "cue_marker")
            if marked and (press := parse_marker(read_midi_text(msg.text), t)):
                presses.append(press)
        else:
            messages.append((t, msg.copy(time=0)))
    return HumanInput(_channel_messages(messages), tuple(presses), midi_read.warnings)


def _channel_messages(
    messages: tuple[tuple[float, mido.Message], ...] | list[tuple[float, mido.Message]],
) -> tuple[tuple[float, mido.Message], ...]:
    """Only channel messages are played (sysex, clock and song position are not the human's part)."""
    return tuple((t, msg) for t, msg in messages if hasattr(msg, "channel"))


def _human_part(midi: mido.MidiFile) -> mido.MidiFile:
    """A take's MIDI file reduced to its `human` track and the tracks with no channel messages."""
    keep = [
        track
        for track in midi.tracks
        if track.name == "human" or not any(hasattr(msg, "channel") for msg in track)
    ]
    return mido.MidiFile(type=1, ticks_per_beat=midi.ticks_per_beat, tracks=keep)
