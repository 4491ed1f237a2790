"""The take: everything that happens in a performance, written as it happens.

Two files in the takes folder, named by piece and start time (`<piece>_<YYYYmmdd-HHMMSS>`):
- `.jsonl` — an append-only event log, one JSON object per line: a header, then human input, AI
  output, footswitch messages, section changes, presses, each generation's parameters, reloads and
  errors. Flushed every `flush_s` (0.5 s) and fsynced every 2 s, so a crash loses at most that.
- `.mid` — a type-1 standard MIDI file with a `conductor` track (tempo, section markers), a `human`
  track and an `ai` track; rewritten every `midi_every_s` and at `close()`.

Thread safety: every recording method (`human`, `ai`, `footswitch`, `section`, `press`, `generation`,
`note`) is thread-safe and realtime-safe: it only puts a tuple on a `SimpleQueue`. A writer thread
does all I/O; the in-memory MIDI lists are touched by the writer thread only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any

import mido

log = logging.getLogger(__name__)
TICKS_PER_BEAT = 480


def take_stem(title: str, started: dt.datetime) -> str:
    """`<slug of title>_<YYYYmmdd-HHMMSS>`: the name both take files share."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "take"
    return f"{slug}_{started.strftime('%Y%m%d-%H%M%S')}"


class TakeRecorder:
    """Records a performance into `folder`; `start()` the writer, `close()` to finish the files."""

    def __init__(
        self,
        folder: Path,
        title: str,
        bpm: float,
        meter: str = "4/4",
        *,
        flush_s: float = 0.5,
        midi_every_s: float = 10.0,
    ) -> None:
        self.started = dt.datetime.now()
        folder.mkdir(parents=True, exist_ok=True)
        stem = take_stem(title, self.started)
        self.log_path = folder / f"{stem}.jsonl"
        self.midi_path = folder / f"{stem}.mid"
        self._bpm = bpm
        self._flush_s = flush_s
        self._midi_every_s = midi_every_s
        self._inbox: queue.SimpleQueue[tuple[float, str, dict[str, Any]] | None] = queue.SimpleQueue()
        self._tracks: dict[str, list[tuple[float, Any]]] = {"conductor": [], "human": [], "ai": []}
        self._file = self.log_path.open("a", encoding="utf-8")
        self._thread = threading.Thread(target=self._write_loop, name="conductor-take", daemon=True)
        header = {"title": title, "bpm": bpm, "meter": meter, "started": self.started.isoformat()}
        self._put(0.0, "take", header)

    # ---------------------------------------------------------------- recording (any thread)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def human(self, msg: mido.Message, t: float) -> None:
        """A message the human played (input port)."""
        self._put(t, "human", {"message": msg})

    def ai(self, msg: mido.Message, t: float) -> None:
        """A message the AI sent (as it left the output port)."""
        self._put(t, "ai", {"message": msg})

    def footswitch(self, msg: mido.Message, t: float) -> None:
        """A message from the footswitch port."""
        self._put(t, "footswitch", {"message": msg})

    def section(self, name: str, t: float, **info: Any) -> None:
        """The performance entered section `name`."""
        self._put(t, "section", {"name": name, **info})

    def press(self, action: str, t: float, target: str | None = None) -> None:
        """A section action fired (footswitch, key or command)."""
        self._put(t, "press", {"action": action, "target": target})

    def generation(self, generation: int, t: float, **params: Any) -> None:
        """A generation started, with the parameters that shaped it."""
        self._put(t, "generation", {"generation": generation, **params})

    def note(self, kind: str, t: float, **info: Any) -> None:
        """Anything else worth keeping (reload, error, worker restart): `kind` names it."""
        self._put(t, kind, info)

    def _put(self, t: float, kind: str, fields: dict[str, Any]) -> None:
        self._inbox.put((t, kind, fields))

    # ---------------------------------------------------------------- writer thread

    def close(self, timeout: float = 5.0) -> None:
        """Write everything still queued, the final MIDI file, and close. Call once, from any thread."""
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        else:
            self._drain()
        self._finish()

    def _write_loop(self) -> None:
        last_flush = last_sync = last_midi = time.monotonic()
        while True:
            try:
                item = self._inbox.get(timeout=self._flush_s)
            except queue.Empty:
                item = ()  # type: ignore[assignment]
            if item is None:
                return
            if item:
                self._write(*item)
            now = time.monotonic()
            if now - last_flush >= self._flush_s:
                self._flush(sync=now - last_sync >= 2.0)
                last_flush, last_sync = now, (now if now - last_sync >= 2.0 else last_sync)
            if now - last_midi >= self._midi_every_s:
                self._write_midi()
                last_midi = now

    def _drain(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._write(*item)

    def _write(self, t: float, kind: str, fields: dict[str, Any]) -> None:
        msg = fields.pop("message", None)  # formatted here, never on the clock thread
        if msg is not None:
            fields.update(_msg_fields(msg))
        line = json.dumps({"t": round(t, 6), "kind": kind, **fields}, default=str)
        self._file.write(line + "\n")
        if kind in ("human", "ai") and msg is not None:
            self._tracks[kind].append((t, msg))
        elif kind == "section":
            self._tracks["conductor"].append((t, mido.MetaMessage("marker", text=str(fields["name"]))))

    def _flush(self, sync: bool) -> None:
        try:
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())
        except OSError as exc:
            log.error("cannot write the take log %s: %s", self.log_path, exc)

    def _finish(self) -> None:
        self._drain()
        self._flush(sync=True)
        self._file.close()
        self._write_midi()

    def _write_midi(self) -> None:
        try:
            tmp = self.midi_path.with_suffix(".mid.tmp")
            build_midi(self._tracks, self._bpm).save(tmp)
            os.replace(tmp, self.midi_path)
        except (OSError, ValueError) as exc:
            log.error("cannot write the take MIDI file %s: %s", self.midi_path, exc)


def _msg_fields(msg: mido.Message) -> dict[str, Any]:
    return {"bytes": msg.bytes(), "msg": str(msg).removesuffix(" time=0")}


def build_midi(tracks: dict[str, list[tuple[float, Any]]], bpm: float) -> mido.MidiFile:
    """A type-1 MIDI file from timed messages per track (seconds), at constant tempo `bpm`."""
    tempo = mido.bpm2tempo(bpm)
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    for name, items in tracks.items():
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        if name == "conductor":
            track.append(mido.MetaMessage("set_tempo", tempo=tempo))
        last = 0
        for t, msg in sorted(items, key=lambda item: item[0]):
            tick = max(last, round(mido.second2tick(max(0.0, t), TICKS_PER_BEAT, tempo)))
            track.append(msg.copy(time=tick - last))
            last = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    return mid


def load_take_human(path: Path | str) -> list[mido.Message]:
    """The human's messages of a take (`.jsonl` or `.mid`), each with `.time` = seconds since the start.

    Times are absolute (not deltas), sorted. Read by `conductor rehearse --human`'s own reader: a
    bad file raises one `InputFileError` (a ValueError) line, a torn last log line is skipped.
    """
    from conductor.rehearse.human import read_human

    part = read_human(Path(path), kinds=("human",))
    return [msg.copy(time=t) for t, msg in part.messages]
