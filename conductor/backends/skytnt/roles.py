"""The role format: a human part and an AI part as the one SkyTNT score a role-trained model reads.

Training (`conductor.train.pairs`) and the live backend both call `role_score` and then `role_rows`,
so the model sees on stage exactly what it saw in training: one timebase from a bar line, the human's
part on score channel 0 and the AI's on channel 1, and the role the AI plays made visible in tokens.

How the role is shown, and why it survives the v2o tokenizer:
- Each role has its own pair of General MIDI programs, one for the human's channel and one for the
  AI's (all eight distinct), written as `patch_change` events at tick 0 at the head of each part's
  track. Either one alone names the role, so the role is visible even when one part is silent.
- v2o renumbers channels in order of first use. The human's patch is the first channel event of the
  score and the AI's the second, so the numbering is the identity whatever plays first.
- v2o drops the patch (and renumbers) of a channel without notes. `role_rows` tokenizes with
  ``remove_empty_channels=False``, so an AI that has not played yet still has its channel 1 and its
  patch row, exactly as in a training window where it enters later.
- A `time_signature` on track 0 gives the bar grid (the live context starts on a bar line too); the
  tempo is a `set_tempo`. Key signatures are the tokenizer's own (detected from both parts' notes).

A model trained on this format says so in its ``config.json``: ``{"conductor": {"format": "roles",
"version": 1, "key": ...}}`` (`format_block`, `read_format`, `read_key`), so a backend can tell it
from a SkyTNT checkpoint. ``"key": "C major / A minor"`` marks a model trained with every window
moved to C major / A minor by its human part's key: the caller moves both parts by `common_shift`
of the human's key (live: the engine's key tracker) and the answer back. Pure functions; thread-safe.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

FORMAT_NAME = "roles"
FORMAT_VERSION = 1
CONFIG_KEY = "conductor"
HUMAN_CHANNEL = 0
AI_CHANNEL = 1
TICKS_PER_BEAT = 480
TOKENIZE_OPTIONS: dict[str, Any] = {"remove_empty_channels": False}
KEY_AS_PLAYED = "as played"  # the model reads the parts in the key they are played in
KEY_COMMON = "C major / A minor"  # the caller moves both parts by `common_shift` of the human's key


class Role(StrEnum):
    """What the AI plays; the piece modes ai_chords, ai_solo, trading and duet."""

    CHORDS = "chords"  # the human plays a melody, the AI harmonises under it
    SOLO = "solo"  # the human accompanies, the AI plays the melody
    TRADING = "trading"  # turns: the AI answers the phrase just heard
    DUET = "duet"  # two free parts


# role → (human's program, AI's program): General MIDI, all distinct, none the default piano 0
PROGRAMS: dict[Role, tuple[int, int]] = {
    Role.CHORDS: (73, 48),  # flute melody, string-ensemble harmony
    Role.SOLO: (4, 65),  # electric-piano comping, alto-sax solo
    Role.TRADING: (56, 66),  # trumpet, tenor sax
    Role.DUET: (40, 42),  # violin, cello
}
MODE_ROLES: dict[str, Role] = {
    "ai_chords": Role.CHORDS,
    "ai_solo": Role.SOLO,
    "trading": Role.TRADING,
    "duet": Role.DUET,
}


class PartNote(NamedTuple):
    """One note of a part: ticks (at `TICKS_PER_BEAT`) from the score's origin, a bar line."""

    start: int
    duration: int
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Meter:
    """Tempo and time signature of a role score."""

    tempo_us: int = 500_000  # microseconds per beat (120 bpm)
    beats_per_bar: int = 4
    beat_unit: int = 4  # 2, 4, 8, 16

    def time_signature(self) -> list[Any]:
        """The score's `time_signature` event (dd is the power of two, as in a MIDI file)."""
        return ["time_signature", 0, self.beats_per_bar, max(0, self.beat_unit.bit_length() - 1), 24, 8]


@dataclass(frozen=True)
class RoleScore:
    """A role score and the score channels of its parts (the AI decodes on ``ai_channel``)."""

    score: list[Any]
    role: Role
    human_channel: int = HUMAN_CHANNEL
    ai_channel: int = AI_CHANNEL


def role_score(
    human: Iterable[PartNote],
    ai: Iterable[PartNote],
    role: Role,
    meter: Meter | None = None,
    shift: int = 0,
) -> RoleScore:
    """The score the model reads: tempo + meter on track 0, the human's part (its role patch first)
    on track 1 / channel 0, the AI's on track 2 / channel 1. Notes are sorted by start (the
    tokenizer needs it); notes before tick 0, of zero length or outside MIDI's ranges are left out.
    ``shift`` moves every pitch (a `KEY_COMMON` model: `common_shift` of the human's key; the
    caller moves the AI's answer back by ``-shift``).
    """
    meter = meter or Meter()
    human_program, ai_program = PROGRAMS[Role(role)]
    head: list[Any] = [["set_tempo", 0, meter.tempo_us], meter.time_signature()]
    parts = [
        _track((n._replace(pitch=n.pitch + shift) for n in human), HUMAN_CHANNEL, human_program),
        _track((n._replace(pitch=n.pitch + shift) for n in ai), AI_CHANNEL, ai_program),
    ]
    return RoleScore([TICKS_PER_BEAT, head, *parts], Role(role))


def _track(notes: Iterable[PartNote], channel: int, program: int) -> list[Any]:
    kept = sorted(
        (n for n in notes if n.start >= 0 and n.duration > 0 and 0 <= n.pitch <= 127 and n.velocity > 0),
        key=lambda n: (n.start, n.pitch),
    )
    events: list[Any] = [["patch_change", 0, channel, program]]
    events += [["note", n.start, n.duration, channel, n.pitch, min(127, n.velocity)] for n in kept]
    return events


def common_shift(tonic: int, minor: bool) -> int:
    """Semitones (-6..5) taking a key (tonic pitch class, minor or not) to C major / A minor."""
    target = 9 if minor else 0
    return (target - tonic + 6) % 12 - 6


def role_rows(tokenizer: Any, rs: RoleScore, bos: bool = True, eos: bool = False) -> list[list[int]]:
    """Token rows of a role score, as training and the live backend both make them.

    No EOS by default: a context (or a training window cut mid-piece) continues.
    """
    rows: list[list[int]] = tokenizer.tokenize(rs.score, add_bos_eos=False, **TOKENIZE_OPTIONS)
    return [*([tokenizer.bos_row()] if bos else []), *rows, *([tokenizer.eos_row()] if eos else [])]


def role_of_row(tokenizer: Any, row: Sequence[int]) -> Role | None:
    """The role a `patch_change` row names (None for any other row)."""
    event = tokenizer.tokens2event(list(row))
    if event is None or event[0] != "patch_change":
        return None
    values = dict(zip(tokenizer.events["patch_change"], event[1:], strict=True))
    for role, programs in PROGRAMS.items():
        if values["patch"] in programs:
            return role
    return None


# ---------------------------------------------------------------- the config.json mark


def format_block(key: str = KEY_AS_PLAYED) -> dict[str, Any]:
    """The ``conductor`` block of a role-trained model's config.json."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "key": key,
        "human_channel": HUMAN_CHANNEL,
        "ai_channel": AI_CHANNEL,
        "programs": {role.value: list(p) for role, p in PROGRAMS.items()},
    }


def mark_config(folder: Path, key: str = KEY_AS_PLAYED) -> None:
    """Add the ``conductor`` block to ``folder/config.json`` (written by the checkpoint saver)."""
    path = folder / "config.json"
    data = json.loads(path.read_text())
    data[CONFIG_KEY] = format_block(key)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_block(folder: Path) -> dict[str, Any] | None:
    """The ``conductor`` block of a model folder's config.json, or None (a plain SkyTNT checkpoint)."""
    path = folder / "config.json" if folder.is_dir() else folder.with_name("config.json")
    try:
        block = json.loads(path.read_text()).get(CONFIG_KEY)
    except (OSError, ValueError, AttributeError):
        return None
    return block if isinstance(block, dict) and block.get("format") == FORMAT_NAME else None


def read_format(folder: Path) -> int | None:
    """The role-format version a model folder was trained on, or None (a plain SkyTNT checkpoint)."""
    version = (read_block(folder) or {}).get("version")
    return version if isinstance(version, int) else None


def read_key(folder: Path) -> str:
    """How a role model expects the parts' key: `KEY_AS_PLAYED` (also for older marks) or `KEY_COMMON`."""
    return str((read_block(folder) or {}).get("key", KEY_AS_PLAYED))
