"""The faults `bench_live_faults.py` applies to a live performance: signals, a killed worker, an input
flood, a vanished output peer, a chattering footswitch, and edits saved mid-performance.

Each fault is a function `(show) -> str` that acts on a running `Show` (the bench's wrapper around
`tests.live.harness.Stage`) and returns a note for the table ('' when there is nothing to add).
Edits are piece texts (or file-system acts) applied while the performance plays; after each the
bench checks that the AI still answers and that the next good save still applies.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mido
import rtmidi

from conductor.live.ports import VIRTUAL_OUT
from tests.live.harness import wait_for, worker_pids

Fault = Callable[[Any], str]

# ---------------------------------------------------------------- process and MIDI faults


def worker_killed(show: Any, times: int = 1) -> str:
    """SIGKILL the model worker while it generates, `times` times in a row, then expect the AI back."""
    wait_for("AI notes", show.stage.ai_note_ons, timeout=30)
    for _ in range(times):
        pids = wait_for("a model worker", lambda: worker_pids(show.stage.proc.pid), timeout=60)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_for("the death noticed", lambda p=pids: "model worker died" in show.stage.log(), timeout=30)
    since = time.monotonic()
    back = show.quietly(lambda: wait_for("AI notes again", lambda: show.stage.ai_note_ons(since), 60))
    return "" if back else "AI silent after the restart"


def input_flood(show: Any, rate: int = 20_000, seconds: float = 2.0) -> str:
    """`rate` messages a second on the keyboard for `seconds` (note-ons and note-offs, 1 ms bursts)."""
    per_ms, sent, t0 = rate // 1000, 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        for i in range(per_ms):
            pitch = 36 + (sent + i) // 2 % 48
            kind = "note_on" if (sent + i) % 2 == 0 else "note_off"
            show.stage.keyboard.send(mido.Message(kind, note=pitch, velocity=64))
        sent += per_ms
        time.sleep(max(0.0, t0 + sent / rate - time.monotonic()))
    return f"{sent} messages in {time.monotonic() - t0:.1f} s" + show.alive_note()


def output_peer_lost(show: Any) -> str:
    """A second listener on `conductor out` disappears mid-show (closed and deleted)."""
    peer = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="bench peer")
    peer.open_port(next(i for i, n in enumerate(peer.get_ports()) if VIRTUAL_OUT in n))
    wait_for("AI notes", show.stage.ai_note_ons, timeout=30)
    peer.close_port()
    del peer
    return show.alive_note().lstrip("; ")


def footswitch_burst(show: Any, presses: int = 50, seconds: float = 2.0) -> str:
    """`presses` presses of the `next` pedal (CC 80 up and down) within `seconds`."""
    gap = seconds / presses
    for _ in range(presses):
        show.stage.keyboard.send(mido.Message("control_change", control=80, value=127))
        time.sleep(gap / 2)
        show.stage.keyboard.send(mido.Message("control_change", control=80, value=0))
        time.sleep(gap / 2)
    time.sleep(1.5)  # let the press land on the beat (changes_on: beat)
    sections = [e["name"] for e in show.take.kinds("section")]
    ended = bool(show.take.kinds("stop"))
    return f"sections {' → '.join(sections)}{'; the piece ENDED' if ended else ''}"


# ---------------------------------------------------------------- edits saved mid-performance


def _laughs(levels: int = 10) -> str:
    """A ~500-byte piece whose aliases expand to 9**levels strings (the issue's billion laughs)."""
    lines = ["title: laughs", "tempo: 120", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join([*lines, "sections: [{name: a, mode: duet, length: footswitch}]", ""])


BILLION_LAUGHS = _laughs()


def sections(n: int) -> str:
    body = "\n".join(f"  - {{name: s{i}, mode: duet, length: footswitch}}" for i in range(n))
    return f"title: many\ntempo: 120\nmodel: {{kind: scripted, config: arpeggio}}\nsections:\n{body}\n"


def replace_line(text: str, start: str, new: str) -> str:
    """`text` with its first line starting with `start` replaced by `new`."""
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith(start))
    return "\n".join([*lines[:i], new, *lines[i + 1 :]]) + "\n"


def atomic(piece: Path, data: bytes) -> None:
    """An editor's save: a temp file renamed over the piece."""
    tmp = piece.with_name(f".{piece.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, piece)


def edit_text(make: Callable[[str], str | bytes]) -> Callable[[Path, str], None]:
    """An edit that saves `make(good_text)` atomically."""

    def apply(piece: Path, good: str) -> None:
        data = make(good)
        atomic(piece, data if isinstance(data, bytes) else data.encode())

    return apply


def deleted(piece: Path, good: str) -> None:
    piece.unlink()
    time.sleep(2.0)  # stays gone past the watcher's grace period


def directory(piece: Path, good: str) -> None:
    piece.unlink()
    piece.mkdir()
    time.sleep(2.0)
    piece.rmdir()


def fifo(piece: Path, good: str) -> None:
    piece.unlink()
    os.mkfifo(piece)
    time.sleep(2.0)
    piece.unlink()


def half_written(piece: Path, good: str) -> None:
    """An in-place save that closes the file half written, then completes it 0.5 s later."""
    data = good.replace("title: Live test", "title: Half").encode()
    piece.write_bytes(data[: len(data) // 2])
    time.sleep(0.5)
    piece.write_bytes(data)


EDITS: dict[str, Callable[[Path, str], None]] = {
    "non-UTF-8 bytes": edit_text(lambda g: g.replace("title: Live test", "title: Caf\xe9").encode("latin-1")),
    "billion laughs (500 bytes)": edit_text(lambda g: BILLION_LAUGHS),
    "10,000 sections (valid)": edit_text(lambda g: sections(10_000)),
    "length: 1 ms + then: loop": edit_text(
        lambda g: g.replace("    length: footswitch\n", "    length: 1 ms\n    then: loop\n", 1)
    ),
    "5000-digit tempo": edit_text(lambda g: replace_line(g, "tempo:", "tempo: 1" + "0" * 5000)),
    "5000-digit length": edit_text(
        lambda g: g.replace("    length: footswitch\n", f"    length: 1{'0' * 5000} bars\n", 1)
    ),
    "20,000-deep nesting": edit_text(lambda g: g + "x: " + "[" * 20_000 + "]" * 20_000 + "\n"),
    "a NUL byte": edit_text(lambda g: g.replace("title: Live test", "title: Live\x00test")),
    "section name outside Latin-1": edit_text(lambda g: g.replace("name: opening", "name: 序奏 🎹")),
    "empty file": edit_text(lambda g: ""),
    "4 KB of random bytes": edit_text(lambda g: os.urandom(4096)),
    "file deleted": deleted,
    "a directory in its place": directory,
    "a pipe in its place": fifo,
    "half-written save": half_written,
}
