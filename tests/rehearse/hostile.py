"""Hostile human inputs: malformed MIDI files and take logs, hand-made and mutated from good ones.

Used by tests/rehearse/test_hostile_inputs.py and bench/bench_hostile_inputs.py. Every case is
named; `expect` says what a correct reader does with it: "error" (one clean line, exit 1), "take" (a
take, exit 0) or "either" (a mutant: anything but a traceback or a hang).
"""

from __future__ import annotations

import json
import os
import random
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = ROOT / "examples" / "mark_human.mid"

NOTE = b"\x00\x90\x3c\x50\x60\x80\x3c\x00"  # note-on C4, a beat of 96 ticks later its note-off
END = b"\x00\xff\x2f\x00"


@dataclass(frozen=True)
class Case:
    """A file to feed to the reader: its name, how to make it in a folder, and the right outcome."""

    name: str
    make: Callable[[Path], Path]
    expect: str  # "error" | "take" | "either"


def header(fmt: int = 0, tracks: int = 1, division: int = 96, size: int = 6) -> bytes:
    return b"MThd" + struct.pack(">L", size) + struct.pack(">HHh", fmt, tracks, division)


def track(body: bytes, size: int | None = None) -> bytes:
    return b"MTrk" + struct.pack(">L", len(body) if size is None else size) + body


def smf(body: bytes = NOTE + END, **head: int) -> bytes:
    return header(**head) + track(body)


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _lines(name: str, lines: list[str], end: str = "\n") -> Callable[[Path], Path]:
    return _bytes(name, ("\n".join(lines) + end).encode())


def _fifo(folder: Path) -> Path:
    path = folder / "fifo.mid"
    os.mkfifo(path)
    return path


def _folder(folder: Path) -> Path:
    path = folder / "folder.mid"
    path.mkdir()
    return path


def _huge(folder: Path) -> Path:
    path = folder / "huge.mid"
    with path.open("wb") as f:
        f.write(smf())
        f.truncate(9 * 2**20)  # sparse: 9 MB of zeros after a good file
    return path


def _fixed(path: Path) -> Callable[[Path], Path]:
    return lambda folder: path


MARK_BYTES = MARK.read_bytes()
HEAD = '{"t": 0.0, "kind": "take", "title": "t", "bpm": 120}'
ON = '{"t": 0.5, "kind": "human", "bytes": [144, 60, 90]}'
OFF = '{"t": 1.0, "kind": "human", "bytes": [128, 60, 0]}'


def midi_cases() -> list[Case]:
    """Hand-made malformed (and a few odd but good) MIDI inputs."""
    e, t = "error", "take"
    meta = lambda kind, data: b"\x00\xff" + bytes([kind, len(data)]) + data  # noqa: E731
    return [
        Case("empty", _bytes("empty.mid", b""), e),
        Case("text", _bytes("notes.mid", b"C4 E4 G4, then the chorus\n"), e),
        Case("riff", _bytes("riff.mid", b"RIFF\x10\x00\x00\x00RMIDdata" + smf()), e),
        Case("header-only", _bytes("head.mid", header()), e),
        Case("header-short", _bytes("short.mid", header()[:11]), e),
        Case("header-size-0", _bytes("h0.mid", header(size=0) + track(NOTE + END)), e),
        Case("truncated-track-header", _bytes("tth.mid", MARK_BYTES[:18]), e),
        Case("truncated-mid-track", _bytes("tmt.mid", MARK_BYTES[: len(MARK_BYTES) // 2]), e),
        Case("truncated-last-byte", _bytes("tlb.mid", MARK_BYTES[:-1]), e),
        Case("ticks-per-beat-0", _bytes("tpb0.mid", smf(division=0)), e),
        Case("smpte-division", _bytes("smpte.mid", smf(division=-(25 << 8) | 40)), e),
        Case("format-2", _bytes("f2.mid", smf(fmt=2)), e),
        Case("format-7", _bytes("f7.mid", smf(fmt=7)), e),
        Case("more-tracks-than-file", _bytes("tracks.mid", smf(tracks=5)), e),
        Case("track-longer-than-file", _bytes("long.mid", header() + track(NOTE + END, size=4000)), e),
        Case(
            "track-shorter-than-data", _bytes("shorter.mid", header() + track(NOTE + END, size=3)), "either"
        ),
        Case("running-status-first", _bytes("rs.mid", smf(b"\x00\x3c\x50" + END)), e),
        Case("data-byte-over-127", _bytes("data.mid", smf(b"\x00\x90\x3c\xff" + END)), e),
        Case("undefined-status", _bytes("f4.mid", smf(b"\x00\xf4\x00" + END)), e),
        Case("vlq-5-bytes", _bytes("vlq.mid", smf(b"\x81\x81\x81\x81\x01\x90\x3c\x50" + END)), e),
        Case("huge-delta", _bytes("delta.mid", smf(NOTE + b"\x8f\xff\xff\x7f\x90\x3e\x50" + END)), e),
        Case("sysex-huge-length", _bytes("sysex.mid", smf(b"\x00\xf0\x8f\xff\xff\x7f\x01" + END)), e),
        Case("meta-huge-length", _bytes("meta.mid", smf(b"\x00\xff\x01\x8f\xff\xff\x7f" + END)), e),
        Case("bad-tempo-meta", _bytes("tempo.mid", smf(meta(0x51, b"\x07\xa1") + NOTE + END)), t),
        Case("tempo-0", _bytes("tempo0.mid", smf(meta(0x51, b"\x00\x00\x00") + NOTE + END)), t),
        Case("bad-key-signature", _bytes("key.mid", smf(meta(0x59, b"\x09\x00") + NOTE + END)), t),
        Case("bad-time-signature", _bytes("time.mid", smf(meta(0x58, b"\x04") + NOTE + END)), t),
        Case("bad-smpte-offset", _bytes("off.mid", smf(meta(0x54, b"\xff\x00\x00\x00\x00") + NOTE + END)), t),
        Case(
            "unknown-chunk-first",
            _bytes("xf.mid", header() + b"XFIH\x00\x00\x00\x02ab" + track(NOTE + END)),
            t,
        ),
        Case("no-tracks", _bytes("none.mid", header(tracks=0)), t),
        Case("no-notes", _bytes("quiet.mid", smf(meta(0x51, b"\x07\xa1\x20") + END)), t),
        Case("trailing-garbage", _bytes("tail.mid", smf() + b"\x00garbage" * 10), t),
        Case("missing", lambda folder: folder / "missing.mid", e),
        Case("folder", _folder, e),
        Case("fifo", _fifo, e),
        Case("dev-zero", _fixed(Path("/dev/zero")), e),
        Case("over-size-cap", _huge, e),
    ]


def take_cases() -> list[Case]:
    """Hand-made malformed (and a few odd but good) `.jsonl` take logs."""
    e, t = "error", "take"
    bad = lambda name, line: Case(name, _lines(f"{name}.jsonl", [HEAD, ON, line, OFF]), e)  # noqa: E731
    return [
        Case("log-empty", _bytes("empty.jsonl", b""), t),
        Case("log-header-only", _lines("head.jsonl", [HEAD]), t),
        Case("log-good", _lines("good.jsonl", [HEAD, ON, OFF]), t),
        Case("log-torn-last", _lines("torn.jsonl", [HEAD, ON, OFF, '{"t": 1.2, "kind": "hu'], end=""), t),
        Case(
            "log-torn-last-bytes",
            _bytes("tornb.jsonl", f"{HEAD}\n{ON}\n{OFF}\n".encode() + b'{"t": 1.\xe2\x82'),
            t,
        ),
        Case("log-torn-middle", _lines("mid.jsonl", [HEAD, '{"t": 0.2, "ki', ON, OFF]), e),
        bad("log-no-t", '{"kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-list", '[0.7, "human", [144, 62, 90]]'),
        bad("log-null", "null"),
        bad("log-t-string", '{"t": "0.7", "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-negative", '{"t": -1, "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-nan", '{"t": NaN, "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-infinity", '{"t": Infinity, "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-true", '{"t": true, "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-huge-int", '{"t": 1' + "0" * 400 + ', "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-5000-digits", '{"t": ' + "9" * 5000 + ', "kind": "human", "bytes": [144, 62, 90]}'),
        bad("log-t-beyond-4-hours", '{"t": 1e9, "kind": "footswitch", "bytes": [176, 80, 127]}'),
        bad("log-no-bytes", '{"t": 0.7, "kind": "human"}'),
        bad("log-bytes-string", '{"t": 0.7, "kind": "human", "bytes": "90 3e 5a"}'),
        bad("log-bytes-empty", '{"t": 0.7, "kind": "human", "bytes": []}'),
        bad("log-bytes-over-255", '{"t": 0.7, "kind": "human", "bytes": [144, 300, 90]}'),
        bad("log-bytes-data-over-127", '{"t": 0.7, "kind": "human", "bytes": [144, 200, 90]}'),
        bad("log-bytes-short", '{"t": 0.7, "kind": "human", "bytes": [144, 62]}'),
        bad("log-bytes-booleans", '{"t": 0.7, "kind": "human", "bytes": [true, false]}'),
        bad("log-deep", "[" * 100_000 + "]" * 100_000),
        Case(
            "log-bad-utf8-middle",
            _bytes("utf.jsonl", f"{HEAD}\n".encode() + b'{"t": 0.7, "k\xff"}\n' + ON.encode()),
            e,
        ),
        Case(
            "log-other-kinds-odd",
            _lines("odd.jsonl", [HEAD, '{"kind": "x"}', '{"t": "x", "kind": 5}', ON]),
            t,
        ),
        Case("log-kind-a-list", _lines("kindlist.jsonl", [HEAD, '{"t": 1, "kind": ["human"]}', ON]), t),
        Case(
            "log-sysex-human",
            _lines("sysex.jsonl", [HEAD, '{"t": 0.1, "kind": "human", "bytes": [240, 1, 247]}', ON]),
            t,
        ),
        Case("log-folder", lambda folder: _folder(folder).rename(folder / "folder.jsonl"), e),
    ]


# ---------------------------------------------------------------- mutants


def chunk_boundaries(data: bytes) -> list[int]:
    """Offsets where each chunk (header, length, body) begins and ends, for truncation."""
    cuts, at = [0], 0
    while at + 8 <= len(data):
        size = struct.unpack(">L", data[at + 4 : at + 8])[0]
        cuts += [at + 4, at + 8, min(at + 8 + size, len(data))]
        at += 8 + size
    return sorted({c for c in cuts if c < len(data)})


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One random mutation of `data`: a byte flip, a cut, inserted garbage or an edited header field."""
    how = rng.choice(("flip", "flips", "cut", "insert", "header", "delete"))
    buf = bytearray(data)
    if how == "flip" and buf:
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    elif how == "flips" and buf:
        for _ in range(rng.randint(2, 12)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif how == "cut":
        del buf[rng.randrange(len(buf) + 1) :]
    elif how == "insert":
        i = rng.randrange(len(buf) + 1)
        buf[i:i] = rng.randbytes(rng.randint(1, 16))
    elif how == "delete" and buf:
        i = rng.randrange(len(buf))
        del buf[i : i + rng.randint(1, 8)]
    elif len(buf) >= 22:
        field, width = rng.choice(((8, 2), (10, 2), (12, 2), (18, 4)))  # format, tracks, division, length
        value = rng.choice((0, 1, 2, 0x7FFF, 0x8000, 0xFFFF, rng.randrange(1 << 16)))
        buf[field : field + width] = value.to_bytes(width, "big")
    return how, bytes(buf)


def base_midi_files() -> list[tuple[str, bytes]]:
    """The good files mutants grow from: the bundled human part and a few small hand-made ones."""
    tempo = b"\x00\xff\x51\x03\x07\xa1\x20"
    marker = b"\x00\xff\x06\x04next"
    two = header(fmt=1, tracks=2) + track(tempo + END) + track(NOTE + marker + NOTE + END)
    return [("mark", MARK_BYTES), ("small", smf(tempo + NOTE + NOTE + END)), ("two-tracks", two)]


def midi_mutants(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` seeded mutants, then every base file cut at each of its chunk boundaries."""
    rng = random.Random(seed)
    bases = base_midi_files()
    for i in range(count):
        name, data = rng.choice(bases)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            how, data = mutate(data, rng)
        yield f"{name}-{how}-{seed}-{i}", data
    for name, data in bases:
        for cut in chunk_boundaries(data):
            yield f"{name}-cut-at-{cut}", data[:cut]


def take_log_lines() -> list[str]:
    """A good take log: header, human notes, AI notes, a footswitch press, a section line."""
    lines = [HEAD]
    for i in range(8):
        t = 0.25 * i
        lines.append(json.dumps({"t": t, "kind": "human", "bytes": [144, 60 + i, 80]}))
        lines.append(json.dumps({"t": t + 0.2, "kind": "ai", "bytes": [145, 72, 70]}))
        lines.append(json.dumps({"t": t + 0.2, "kind": "human", "bytes": [128, 60 + i, 0]}))
    lines.append(json.dumps({"t": 2.5, "kind": "footswitch", "bytes": [176, 80, 127]}))
    lines.append(json.dumps({"t": 2.5, "kind": "section", "name": "solo"}))
    return lines


def take_mutants(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` seeded mutants of a good take log: lines mutated as bytes, as JSON values, or cut."""
    rng = random.Random(seed)
    values = (None, True, -1, 1e308, "x", [], {}, [144], [999, 1, 2], float("nan"), 10**30)
    for i in range(count):
        lines = take_log_lines()
        k = rng.randrange(len(lines))
        how = rng.choice(("bytes", "field", "cut"))
        if how == "bytes":
            _, mutated = mutate(lines[k].encode(), rng)
            data = b"\n".join(
                [*(x.encode() for x in lines[:k]), mutated, *(x.encode() for x in lines[k + 1 :])]
            )
        elif how == "field":
            event = json.loads(lines[k])
            event[rng.choice(("t", "kind", "bytes"))] = rng.choice(values)
            lines[k] = json.dumps(event)
            data = "\n".join(lines).encode()
        else:
            data = "\n".join(lines).encode()[: rng.randrange(1, len("\n".join(lines)))]
        yield f"log-{how}-{seed}-{i}", data
