"""The root of conductor's own exceptions, and how a value is shown in an error line.

Every error conductor raises on purpose derives from `ConductorError`, so a caller can tell "ours,
with a message a musician can act on" from a bug. Each subclass keeps a built-in base where callers
rely on it (`ModelError` is a `RuntimeError`, `InputFileError` a `ValueError`, ...) and says in its
docstring who raises it:

- `conductor.core.inputfile.InputFileError` — an input file (MIDI, take log, model config) is unusable
- `conductor.piece.errors.PieceErrors` — a piece file has errors (all of them, each with its key path)
- `conductor.backends.base.ModelError` — a model cannot be built, loaded or started
- `conductor.backends.skytnt.midi_score.MidiFileError` — a MIDI file cannot become a SkyTNT score
- `conductor.evaluate.takefile.TakeError` — a take cannot be evaluated
- `conductor.live.ports.PortError` (and `PortNotFound`) — a MIDI port cannot be opened or found
- `conductor.live.recorder.TakesFolderError` — the takes folder cannot be made or written in
"""

from __future__ import annotations


class ConductorError(Exception):
    """An error of conductor's own: its message is one line a musician can act on."""


def too_long(text: str, limit: int = 40) -> str:
    """`text` shortened to `limit` characters for an error line (a 5000-digit number stays readable)."""
    return text if len(text) <= limit else f"{text[: limit - 11]}… ({len(text)} characters)"
