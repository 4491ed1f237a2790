"""Read a standard MIDI file someone hands us: bounded, never hanging, one clear line when it is bad.

mido decodes the messages (its own reason is kept in every error); this module walks the chunks
itself so that it can
- read only a regular file, at most `MAX_MIDI_BYTES` (`conductor.core.inputfile`: a FIFO or
  /dev/zero is refused, never waited on);
- keep the notes when a meta event is malformed (a key signature with 9 sharps, a 2-byte tempo): metas
  carry no notes, so a bad one is kept as an unknown meta and reported as a warning;
- skip chunks that are not tracks, as the SMF spec asks;
- refuse, naming the track and byte, what cannot be read or timed: a file that ends inside a track
  (truncated), a data byte over 127, an undefined status byte, running status with nothing to run, a
  delta time longer than 4 bytes, ticks per beat 0 or SMPTE time, format 2.
Channel data are never clipped (mido's `clip=True`): a data byte over 127 means the bytes are not what
they claim to be, and a guessed note is worse than a clear error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mido
from mido.midifiles import meta as mido_meta
from mido.midifiles import midifiles as smf

from conductor.core.inputfile import InputFileError, read_input_bytes

MAX_MIDI_BYTES = 4 * 1024 * 1024  # ~500k notes; mido parses ~4 µs a byte here, so at most ~15 s
# what mido's decoders raise on bad bytes (EOFError: the file ended; KeySignatureError: a bad key)
MIDO_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, mido_meta.KeySignatureError)


@dataclass(frozen=True, slots=True)
class MidiRead:
    """A parsed MIDI file and what was skipped on the way (one line each)."""

    midi: mido.MidiFile
    warnings: tuple[str, ...] = ()


def read_midi(path: Path) -> MidiRead:
    """The MIDI file at `path`, with metas read leniently (see the module docstring)."""
    data = read_input_bytes(path, MAX_MIDI_BYTES, "a standard MIDI file (.mid)")
    if not data:
        raise InputFileError(f"{path}: is empty: expected a standard MIDI file (.mid)")
    infile = io.BytesIO(data)
    warnings: list[str] = []
    where = "the header"
    try:
        fmt, count, division = _read_header(infile)
        _check_header(fmt, division)
        tracks = []
        for number in range(1, count + 1):
            where = f"track {number} of {count}"
            tracks.append(_read_next_track(infile, where, warnings))
    except _Bad as exc:
        raise InputFileError(f"{path}: {exc}") from exc
    except EOFError as exc:
        at = f"{where} (byte {infile.tell()} of {len(data)})"
        raise InputFileError(f"{path}: the file ends inside {at}: is it truncated?") from exc
    except MIDO_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        at = f"{where}, byte {infile.tell()}"
        raise InputFileError(f"{path}: not a readable MIDI file ({reason}, in {at})") from exc
    midi = mido.MidiFile(type=fmt, ticks_per_beat=division, tracks=tracks)
    return MidiRead(midi, tuple(f"{path}: {w}" for w in warnings))


def timed_messages(midi: mido.MidiFile) -> Iterator[tuple[float, mido.Message | mido.MetaMessage]]:
    """Every message of every track with its time in seconds from the start (tempo changes honoured)."""
    tempo, t = smf.DEFAULT_TEMPO, 0.0
    for msg in mido.merge_tracks(midi.tracks, skip_checks=True):
        if msg.time:
            t += mido.tick2second(msg.time, midi.ticks_per_beat, tempo)
        if msg.type == "set_tempo":
            tempo = msg.tempo
        yield t, msg


class _Bad(Exception):
    """A structural fault found here (not by mido); the message says what it is."""


def _read_header(infile: io.BytesIO) -> tuple[int, int, int]:
    name, size = smf.read_chunk_header(infile)
    if name != b"MThd":
        raise _Bad(f"not a MIDI file: it starts with {name[:4]!r}, a standard MIDI file with b'MThd'")
    if size < 6:
        raise _Bad(f"its MIDI header is {size} bytes long: expected at least 6")
    header = infile.read(size)
    if len(header) < 6:
        raise EOFError
    fmt, count = int.from_bytes(header[0:2], "big"), int.from_bytes(header[2:4], "big")
    return fmt, count, int.from_bytes(header[4:6], "big", signed=True)


def _check_header(fmt: int, division: int) -> None:
    if fmt not in (0, 1):
        what = "format 2 (independent sequences)" if fmt == 2 else f"format {fmt}"
        raise _Bad(f"it is {what}, which cannot be played as one performance: save it as format 0 or 1")
    if division < 0:
        raise _Bad("its time is in SMPTE frames, not ticks per beat: save it with ticks per beat")
    if division == 0:
        raise _Bad("its header gives 0 ticks per beat (expected 1..32767)")


def _read_next_track(infile: io.BytesIO, where: str, warnings: list[str]) -> mido.MidiTrack:
    """The next `MTrk` chunk as a track; other chunks before it are skipped (the SMF spec says so)."""
    while True:
        name, size = smf.read_chunk_header(infile)
        if name == b"MTrk":
            return _read_track(infile, infile.tell() + size, where, warnings)
        warnings.append(f"a {name!r} chunk of {size} bytes before {where} is not a track: skipped")
        infile.seek(size, io.SEEK_CUR)
        if infile.tell() > len(infile.getbuffer()):
            raise EOFError


def _read_track(infile: io.BytesIO, end: int, where: str, warnings: list[str]) -> mido.MidiTrack:
    track = mido.MidiTrack()
    last_status: int | None = None
    while infile.tell() < end:
        delta = _read_vlq(infile, "a delta time")
        status = smf.read_byte(infile)
        peek: list[int] = []
        if status < 0x80:
            if last_status is None:
                raise _Bad(
                    f"{where} uses running status with no status byte before it (byte {infile.tell()})"
                )
            peek, status = [status], last_status
        elif status != 0xFF:
            last_status = status
        if status == 0xFF:
            track.append(_read_meta(infile, delta, where, warnings))
        elif status in (0xF0, 0xF7):
            track.append(smf.read_sysex(infile, delta))
        else:
            track.append(smf.read_message(infile, status, peek, delta))
    if infile.tell() > end:
        warnings.append(f"the last message of {where} runs past the end its header gives: kept")
    return track


def _read_vlq(infile: io.BytesIO, what: str) -> int:
    """A variable-length quantity: at most 4 bytes (0..0x0FFFFFFF), as the SMF spec says."""
    value = 0
    for _ in range(4):
        byte = smf.read_byte(infile)
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    raise _Bad(f"{what} longer than 4 bytes at byte {infile.tell()}: the file is damaged")


def _read_meta(infile: io.BytesIO, delta: int, where: str, warnings: list[str]) -> mido.MetaMessage:
    """A meta event; a malformed one becomes an unknown meta (its bytes kept) and a warning."""
    meta_type = smf.read_byte(infile)
    data = smf.read_bytes(infile, _read_vlq(infile, "a meta event's length"))
    try:
        return mido_meta.build_meta_message(meta_type, data, delta)
    except MIDO_ERRORS as exc:
        spec = mido_meta._META_SPECS.get(meta_type)
        name = spec.type if spec is not None else f"0x{meta_type:02x}"
        reason = f"{len(data)} data bytes: {type(exc).__name__} {exc}".rstrip()
        warnings.append(f"a malformed {name} meta event in {where} ({reason}): ignored")
        return mido_meta.UnknownMetaMessage(meta_type, data, time=delta)
