"""Hot reload: watch the piece file, debounce edits, parse and validate them off the clock thread.

Editors save in different ways: in place (Modified… Closed), atomically (write a temp file, rename it
over the piece: only a `FileMovedEvent` whose `dest_path` is the piece), vim-style (Created, Modified,
Moved), `sed -i` (rename into place). The watcher reacts to `FileClosedEvent`, `FileCreatedEvent` and
`FileMovedEvent(dest_path=piece)` — never to the first `Modified`, when the file may be half written —
and waits `debounce_s` of quiet before reading. Identical text is not reloaded twice.

The parse runs on the watcher's own thread; the result (`Reloaded` with the new piece, or `Rejected`
with the error text naming file, line and key path) is handed to `on_result`, which must be
thread-safe (the performance puts it on the engine thread's queue). An invalid edit changes nothing.

Thread safety: `start`/`stop` from the main thread; watchdog's thread only calls `_event`, which
takes `_cond`; `_cond` guards `_due` and `_stopping`. Nothing here is realtime-safe or touches the clock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reloaded:
    """A save that parsed and validated: `piece` is the new compiled piece."""

    piece: Any
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
        parse: Callable[[Path], Any],
        on_result: Callable[[ReloadResult], None],
        *,
        debounce_s: float = 0.05,
    ) -> None:
        self.path = Path(os.path.realpath(path))
        self._parse = parse
        self._on_result = on_result
        self._debounce_s = debounce_s
        self._cond = threading.Condition()
        self._due: float | None = None  # guarded by _cond: when to read the file (monotonic)
        self._stopping = False  # guarded by _cond
        self._last_text: str | None = self._read()  # the debounce thread only
        self._observer: Any = None
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

    def _is_piece(self, p: str | bytes) -> bool:
        text = os.fsdecode(p)
        return os.path.realpath(text) == str(self.path)

    def _event(self, event: FileSystemEvent) -> None:
        if not self.is_piece_save(event):
            return
        with self._cond:
            self._due = time.monotonic() + self._debounce_s
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
            self._check(settled)

    def _check(self, settled: float) -> None:
        text = self._read()
        if text is None or text == self._last_text:
            return
        self._last_text = text
        try:
            piece = self._parse(self.path)
        except Exception as exc:
            log.error("piece edit rejected; still playing the last good version:\n%s", exc)
            self._on_result(Rejected(str(exc), settled))
            return
        log.info("piece edit accepted: %s", self.path.name)
        self._on_result(Reloaded(piece, settled))

    def _read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return None
