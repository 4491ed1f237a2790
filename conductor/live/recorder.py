"""The take: everything that happens in a performance, written as it happens.

Two files in the takes folder, named by piece and start time (`<piece>_<YYYYmmdd-HHMMSS>`):
- `.jsonl` — an append-only event log, one JSON object per line: a `take` header, then human input,
  AI output and footswitch messages (`bytes` and `msg` text), and every typed event
  (`conductor.engine.take_events`: sections, presses, generations, reloads, errors, ...). Flushed
  every `flush_s` (0.5 s) and fsynced every 2 s, so a crash loses at most that.
- `.mid` — the take as a standard MIDI file (`conductor.engine.take_midi.build_midi`): tracks
  `conductor` (tempo, meter, section markers), `human` and `ai`; rewritten every `midi_every_s` and
  at `close()` — less often as the take grows, so that rewriting it never takes more than
  `MIDI_DUTY` of the writer's time (the interpreter lock is shared with the clock thread).

The writer cannot die of one bad event: each is written inside its own try/except — one that
cannot be written (a message that is not one, an event that does not serialise, an OSError) is
logged once per kind with its reason, counted (`failures`, and a `take_errors` line at the end) and
skipped. `close()` never raises and always writes the `.mid` from everything recorded: if the writer
thread has died or is stuck, it drains the queue itself.

Thread safety: every recording method (`human`, `ai`, `footswitch`, `record`) is thread-safe and
realtime-safe: it only puts a tuple on a `SimpleQueue`. The writer thread does the I/O;
`_io_lock` guards the log file (the writer thread, or `close()` once the writer is done or stuck)
and `_parts_lock` the in-memory MIDI parts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import re
import tempfile
import threading
import time
from pathlib import Path

import mido

from conductor.core.errors import ConductorError
from conductor.engine.take_events import SectionStarted, TakeEvent, TakeStarted, TakeTrouble
from conductor.engine.take_midi import Timed, build_midi, event_bytes, marker
from conductor.live.take_log import Troubles, log_line

log = logging.getLogger(__name__)
Item = tuple[float, str | None, mido.Message | TakeEvent]  # (t, part or None for an event, payload)
SYNC_EVERY_S = 2.0
MIDI_DUTY = 0.02  # the share of time the periodic .mid rewrite may take (2%: a 1 s rewrite every 50 s)


class TakesFolderError(ConductorError, OSError):
    """Raised by `prepare_takes_folder` when the takes folder cannot be made or written in; the message
    is one line naming the folder, the reason and what to do."""


def prepare_takes_folder(folder: Path) -> None:
    """Make `folder` (with its parents) and check that a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise TakesFolderError(
            f"cannot record the take in {folder}: {exc.strerror or exc}; give another folder with "
            "--takes DIR (or recording.folder in the piece)"
        ) from exc


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
        self._bpm, self._meter = bpm, _meter(meter)
        self._flush_s = flush_s
        self._midi_every_s = midi_every_s
        self._inbox: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._failures = Troubles()
        self._closed = False
        self._abandoned = threading.Event()  # close() gave up waiting: who holds _io_lock next ends the log
        self._io_lock = threading.Lock()
        self._file = self.log_path.open("a", encoding="utf-8")  # guarded by _io_lock
        self._parts_lock = threading.Lock()
        self._parts: dict[str, list[Timed]] = {"conductor": [], "human": [], "ai": []}  # _parts_lock
        self._midi_seq = self._midi_done = 0  # _parts_lock: the newest .mid snapshot taken / written
        self._last_t = 0.0  # the latest time recorded (whoever handles items)
        self._backlog: list[str] = []  # lines close() drained while the writer was stuck (then read once)
        self._thread = threading.Thread(target=self._run, name="conductor-take", daemon=True)
        self.record(TakeStarted(title, bpm, meter, self.started.isoformat()), 0.0)

    # ---------------------------------------------------------------- recording (any thread)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def human(self, msg: mido.Message, t: float) -> None:
        """A message the human played (input port)."""
        self._inbox.put((t, "human", msg))

    def ai(self, msg: mido.Message, t: float) -> None:
        """A message the AI sent (as it left the output port)."""
        self._inbox.put((t, "ai", msg))

    def footswitch(self, msg: mido.Message, t: float) -> None:
        """A message from the footswitch port."""
        self._inbox.put((t, "footswitch", msg))

    def record(self, event: TakeEvent, t: float) -> None:
        """Anything else that happened at `t`: a typed event (`conductor.engine.take_events`)."""
        self._inbox.put((t, None, event))

    @property
    def failures(self) -> int:
        """Events that could not be written so far."""
        return self._failures.count

    # ---------------------------------------------------------------- closing (any thread, once)

    def close(self, timeout: float = 5.0) -> None:
        """Write everything still queued, close the log, write the final MIDI file. Never raises.

        Waits up to `timeout` for the writer thread. If it has died, finishes from here; if it is
        stuck (on the log's file), hands over: the MIDI file is written from here with everything
        recorded, and the log's last lines are written by the writer if its file ever answers."""
        if self._closed:
            return
        self._closed = True
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        try:
            if self._thread.is_alive():
                self._take_over()
            else:
                with self._io_lock:
                    self._drain(write=True)
                    self._end_log()
        except Exception as exc:  # nothing may stop the MIDI file below
            log.error("while closing the take log %s: %s", self.log_path, exc)
        self._write_midi()

    def _take_over(self) -> None:
        log.error("the take writer is stuck or far behind; finishing the take %s from here", self.midi_path)
        self._drain(write=False)  # into the backlog and the MIDI parts
        self._abandoned.set()  # after the backlog is complete: whoever holds _io_lock next ends the log
        if self._io_lock.acquire(timeout=1.0):
            try:
                self._end_log()
            finally:
                self._io_lock.release()
        else:
            log.error("the take log %s is finished when its file answers again", self.log_path)

    def _drain(self, write: bool) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._handle(item, write)

    def _end_log(self) -> None:
        """Write the backlog and the `take_errors` line, flush, close the log. Holds `_io_lock`; once."""
        if self._file.closed:
            return
        for line in self._backlog:
            self._write_line(line, "a line kept for later", self._last_t)
        if self._failures.count:
            log.error("take: %d event(s) could not be written", self._failures.count)
            self._handle((self._last_t, None, TakeTrouble(self._failures.count, self._failures.first)), True)
        self._flush(sync=True)
        try:
            self._file.close()
        except Exception as exc:
            self._failures.add(f"closing {self.log_path}", exc, count=False)

    # ---------------------------------------------------------------- writer thread

    def _run(self) -> None:
        try:
            self._write_loop()
        except BaseException:  # should not happen (every step is guarded): close() finishes the take
            log.exception("the take writer stopped; the take is finished at close()")

    def _write_loop(self) -> None:
        last_flush = last_sync = time.monotonic()
        next_midi = last_flush + self._midi_every_s
        while True:
            idle = False  # the queue was quiet for `flush_s`: only the timers run
            try:
                item = self._inbox.get(timeout=self._flush_s)
            except queue.Empty:
                item, idle = None, True
            with self._io_lock:
                if item is not None:
                    self._handle(item, write=True)
                if self._abandoned.is_set():  # close() has given up waiting: end the log, then the .mid
                    self._end_log()
                    break
                if item is None and not idle:
                    return
                now = time.monotonic()
                if now - last_flush >= self._flush_s:
                    sync = now - last_sync >= SYNC_EVERY_S
                    self._flush(sync)
                    last_flush, last_sync = now, (now if sync else last_sync)
            if now >= next_midi:
                self._write_midi()
                next_midi = now + max(self._midi_every_s, (time.monotonic() - now) / MIDI_DUTY)
        self._write_midi()

    def _handle(self, item: Item, write: bool) -> None:
        """One item into the MIDI parts and the log (the caller holds `_io_lock` if `write`; if not, its
        line waits in the backlog). A failure is counted and logged, never raised."""
        t, part, payload = item
        try:
            line = log_line(t, part, payload)
            self._keep(t, part, payload)
        except Exception as exc:
            self._failures.add(
                f"a {part or getattr(payload, 'kind', type(payload).__name__)} event", exc, at=t
            )
            return
        self._last_t = max(self._last_t, t)
        if write:
            self._write_line(line, f"a {part or payload.kind} event", t)
        else:
            self._backlog.append(line)

    def _write_line(self, line: str, what: str, t: float) -> None:
        try:
            self._file.write(line + "\n")
        except Exception as exc:
            self._failures.add(what, exc, at=t)

    def _keep(self, t: float, part: str | None, payload: mido.Message | TakeEvent) -> None:
        """Keep what the MIDI file needs, as bytes (raises for what no MIDI file can hold)."""
        if part in ("human", "ai"):
            kept = event_bytes(payload)
        elif isinstance(payload, SectionStarted):
            kept, part = marker(payload.name), "conductor"
        else:
            return
        with self._parts_lock:
            self._parts[part].append((t, kept))

    def _flush(self, sync: bool) -> None:
        try:
            self._file.flush()
            if sync:
                os.fsync(self._file.fileno())
        except Exception as exc:
            self._failures.add(f"writing {self.log_path}", exc, count=False)

    def _write_midi(self) -> None:
        """Write the MIDI file from a snapshot of the parts (atomic; an older snapshot never wins)."""
        with self._parts_lock:
            parts = {name: list(items) for name, items in self._parts.items()}
            self._midi_seq += 1
            seq = self._midi_seq
        tmp = self.midi_path.with_name(f"{self.midi_path.name}.{seq}.tmp")
        try:
            tmp.write_bytes(build_midi(parts, self._bpm, self._meter, pause=_let_go))
            with self._parts_lock:
                if seq > self._midi_done:
                    os.replace(tmp, self.midi_path)
                    self._midi_done = seq
        except Exception as exc:
            self._failures.add(f"writing {self.midi_path}", exc, count=False)
        finally:
            tmp.unlink(missing_ok=True)


def _let_go() -> None:
    """Let go of the interpreter lock for a moment: a waiting clock thread takes it now."""
    time.sleep(0)


def _meter(meter: str) -> tuple[int, int]:
    beats, _, unit = meter.partition("/")
    try:
        return int(beats), int(unit)
    except ValueError:
        return (4, 4)
