"""Hot reload: watch the piece file, debounce edits, parse and validate them off the clock thread.

Editors save in different ways: in place (Modified… Closed), atomically (write a temp file, rename it
over the piece: only a `FileMovedEvent` whose `dest_path` is the piece), vim-style (Created, Modified,
Moved), `sed -i` (rename into place). The watcher reacts to `FileClosedEvent`, `FileCreatedEvent` and
`FileMovedEvent(dest_path=piece)` — never to the first `Modified`, when the file may be half written —
and waits `debounce_s` of quiet before reading. Identical text is not reloaded twice.

The parse runs on the watcher's own thread; the result (`Reloaded` with the new piece, or `Rejected`
with the error text naming file, line and key path) is handed to `on_result`, which must be
thread-safe (the performance puts it on the engine thread's queue). An invalid edit changes nothing.

The watcher survives anything a save can do: bytes that are not UTF-8, a file deleted, renamed away
or replaced by a directory (checked after `gone_s` of quiet, so an editor's rename-then-write is not
reported), a permission error, a file over `conductor.piece.limits.MAX_BYTES` (the limit every piece is
read under), a parser exception of any type. Each is
one `Rejected` line naming the file; the watcher keeps watching and the next good save applies.

Thread safety: `start`/`stop` from the main thread; watchdog's thread only calls `_event`, which
takes `_cond`; `_cond` guards `_due` and `_stopping`. Nothing here is realtime-safe or touches the clock.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from conductor.piece.compiled import Piece
from conductor.piece.limits import MAX_BYTES

log = logging.getLogger(__name__)
KEEP_PLAYING = "still playing the last good version"


@dataclass(frozen=True, slots=True)
class Reloaded:
    """A save that parsed and validated: `piece` is the new compiled piece."""

    piece: Piece
    settled_at: float  # time.monotonic() when the save settled (for the reload-delay benchmark)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A save that did not parse or validate: nothing changes; `error` is what to show."""

    error: str
    settled_at: float


ReloadResult = Reloaded | Rejected


class _Handler(FileSystemEventHandler):
    def __init__(self, on_event: Callable[[FileSystemEvent], None]) -> None:
        self._on_event = on_event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._on_event(event)


class PieceWatcher:
    """Watches one piece file; calls `on_result(Reloaded | Rejected)` once per settled change."""

    def __init__(
        self,
        path: Path,
        parse: Callable[[Path], Piece],
        on_result: Callable[[ReloadResult], None],
        *,
        debounce_s: float = 0.05,
        gone_s: float = 1.0,
    ) -> None:
        self.path = Path(os.path.realpath(path))
        self._parse = parse
        self._on_result = on_result
        self._debounce_s = debounce_s
        self._gone_s = gone_s
        self._cond = threading.Condition()
        self._due: float | None = None  # guarded by _cond: when to read the file (monotonic)
        self._stopping = False  # guarded by _cond
        self._last: bytes | str | None = self._read()  # the debounce thread only: bytes, or why not
        self._observer: BaseObserver | None = None
        self._thread = threading.Thread(target=self._debounce_loop, name="conductor-reload", daemon=True)

    def start(self) -> None:
        """Start watching (the piece's folder, non-recursively)."""
        self._observer = Observer()
        self._observer.schedule(_Handler(self._event), str(self.path.parent), recursive=False)
        self._observer.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the threads."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2.0)
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def is_piece_save(self, event: FileSystemEvent) -> bool:
        """True for the events that mean the piece file now holds a complete new version."""
        if isinstance(event, FileMovedEvent):
            return self._is_piece(event.dest_path)
        if isinstance(event, FileClosedEvent | FileCreatedEvent):
            return self._is_piece(event.src_path)
        return False

    def is_piece_gone(self, event: FileSystemEvent) -> bool:
        """True for the events that may leave no readable piece file: deleted, renamed away, a directory."""
        if isinstance(event, FileMovedEvent):
            return self._is_piece(event.src_path) and not self._is_piece(event.dest_path)
        if isinstance(event, FileDeletedEvent | DirCreatedEvent):
            return self._is_piece(event.src_path)
        return False

    def _is_piece(self, p: str | bytes) -> bool:
        text = os.fsdecode(p)
        return os.path.realpath(text) == str(self.path)

    def _event(self, event: FileSystemEvent) -> None:
        if self.is_piece_save(event):
            settle = self._debounce_s
        elif self.is_piece_gone(event):
            settle = max(self._debounce_s, self._gone_s)  # an editor may be about to write it again
        else:
            return
        with self._cond:
            self._due = time.monotonic() + settle
            self._cond.notify_all()

    def _debounce_loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._due is None or time.monotonic() < self._due):
                    wait = None if self._due is None else self._due - time.monotonic()
                    self._cond.wait(timeout=wait)
                if self._stopping:
                    return
                settled, self._due = self._due or time.monotonic(), None
            try:
                self._check(settled)
            except Exception:  # a bug here must not end hot reload for the rest of the show
                log.exception("piece watcher: checking %s failed; still watching", self.path.name)

    def _check(self, settled: float) -> None:
        """Read the settled file; hand on `Reloaded` or `Rejected` unless nothing changed."""
        current = self._read()
        if current == self._last:
            return
        self._last = current
        if isinstance(current, str):
            self._reject(f"{self.path}: {current}; {KEEP_PLAYING}", settled)
            return
        try:
            piece = self._parse(self.path)
        except Exception as exc:
            self._reject(parse_error_text(self.path, exc), settled)
            return
        log.info("piece edit accepted: %s", self.path.name)
        self._on_result(Reloaded(piece, settled))

    def _reject(self, error: str, settled: float) -> None:
        log.error("piece edit rejected; %s:\n%s", KEEP_PLAYING, error)
        self._on_result(Rejected(error, settled))

    def _read(self) -> bytes | str:
        """The file's bytes if it holds UTF-8 text of a sane size; else why not (one phrase).

        Opened non-blocking and checked to be a regular file first: a FIFO or a device put in the
        piece's place must not hang or flood this thread.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return "the piece file is gone (deleted or renamed away); save it again to reload"
        except PermissionError:
            return "cannot be read: permission denied; check the file's permissions"
        except OSError as exc:
            return f"cannot be read: {exc.strerror or exc}"
        try:
            data = _read_regular(fd)
        except OSError as exc:
            return f"cannot be read: {exc.strerror or exc}"
        finally:
            os.close(fd)
        if isinstance(data, str):
            return data
        if len(data) > MAX_BYTES:
            return f"is larger than {MAX_BYTES:,} bytes, too large for a piece; is it the right file?"
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            where = f"byte 0x{data[exc.start]:02x} at line {line}, column {column}"
            return f"is not UTF-8 text ({where}: {exc.reason}); save it as UTF-8"
        return data


def _read_regular(fd: int) -> bytes | str:
    """Up to MAX_BYTES + 1 bytes of an open regular file; else what it is instead."""
    kind = os.fstat(fd).st_mode
    if stat.S_ISDIR(kind):
        return "is a directory now, not a piece file; put the piece file back"
    if not stat.S_ISREG(kind):
        return "is not a regular file (a pipe or a device?); put the piece file back"
    chunks, size = [], 0
    while size <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def parse_error_text(path: Path, exc: BaseException) -> str:
    """What to show for a parse that raised: the parser's own text for its errors (they name the
    file), else the file, the exception's type and reason."""
    text = str(exc).strip()
    if path.name in text:
        return text
    why = f"{type(exc).__name__}: {text or 'no reason given'}"
    return f"{path}: the piece could not be read ({why}); {KEEP_PLAYING}"
