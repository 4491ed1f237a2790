"""`PieceParser`: load pieces in a separate, long-lived process, under a time and a memory limit.

No piece, however hostile, can take more than `timeout_s` of wall time or `memory_mb` of memory, or
hold the GIL of the process that asked: the parse runs in `conductor.piece.parse_worker`, started
once and reused for every load (a performance's reloads, `conductor check` of many files). A parse
that runs past its time is killed and reported as an error; the next load starts a fresh process.
If no process can be started at all, pieces are loaded in this process (the loader's own limits on
size, nesting and aliases still hold) and a warning says so.

Thread-safe: loads are serialised by a lock (one request in flight). Nothing here is realtime-safe:
call it from a reload or command thread, never from the clock thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import conductor
from conductor.piece.compiled import Piece
from conductor.piece.errors import PieceError, PieceErrors
from conductor.piece.limits import PARSE_MEMORY_MB, PARSE_TIMEOUT_S
from conductor.piece.parse_worker import piece_from_reply, recv_frame, send_frame

log = logging.getLogger(__name__)
START_TIMEOUT_S = 60.0  # importing the loader takes ~0.2 s; a loaded CI machine may take far longer


class PieceParser:
    """Loads piece files in a child process (see the module docstring)."""

    def __init__(self, timeout_s: float = PARSE_TIMEOUT_S, memory_mb: int = PARSE_MEMORY_MB) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._lock = threading.Lock()  # guards everything below
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ready = False
        self.starts = 0  # processes started (a killed one is replaced on the next load)
        self._in_process = False  # no process could be started: load here
        self._closing = threading.Event()  # set while close() runs (not under _lock)

    def start(self) -> None:
        """Start the process now (a later first load need not wait for its start-up)."""
        with self._lock:
            self._spawn_if_needed()

    def load(self, path: str | Path) -> Piece:
        """The compiled piece at `path`. Raises `PieceErrors` (also for a parse past the limits) or
        OSError (the file cannot be opened), as `conductor.piece.load_piece` does."""
        with self._lock:
            self._spawn_if_needed()
            if self._closing.is_set():
                return _result(("limit", "the parser process was closed", str(path)))
            self._await_ready()
            if self._in_process:
                from conductor.piece.loader import load_piece

                return load_piece(path)
            reply = self._ask(str(path))
        return _result(reply)

    def close(self) -> None:
        """Stop the process (it also ends by itself when this process exits). A load in flight is
        not waited for: the process is killed first, and that load ends with a limit error."""
        self._closing.set()  # a load in flight must not start a new process either
        proc = self._proc  # read without the lock on purpose: a load may hold it for `timeout_s`
        if proc is not None and proc.poll() is None:
            proc.kill()
        with self._lock:
            self._stop()
            self._closing.clear()

    # ---------------------------------------------------------------- the child (under _lock)

    def _spawn_if_needed(self) -> None:
        alive = self._proc is not None and self._proc.poll() is None
        if self._in_process or alive or self._closing.is_set():
            return
        self._stop()
        ours, theirs = socket.socketpair()
        args = [sys.executable, "-m", "conductor.piece.parse_worker", str(theirs.fileno()),
                str(self.memory_mb), str(self.timeout_s * 2)]  # fmt: skip
        try:
            self._proc = subprocess.Popen(args, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env=_child_env())  # fmt: skip
        except OSError as exc:
            self._fall_back(str(exc))
            ours.close()
            return
        finally:
            theirs.close()
        self._sock, self._ready = ours, False
        self.starts += 1

    def _await_ready(self) -> None:
        if self._ready or self._in_process or self._sock is None:
            return
        try:
            self._sock.settimeout(START_TIMEOUT_S)
            data = recv_frame(self._sock)
            ok = data is not None and pickle.loads(data) == ("ready",)
        except (OSError, ValueError, pickle.UnpicklingError):
            ok = False
        if not ok:
            self._fall_back(f"it did not start: {self._stop()}")
        self._ready = ok

    def _fall_back(self, why: str) -> None:
        log.warning("no piece parser process (%s): pieces are parsed in this process", why)
        self._in_process = True

    def _ask(self, path: str) -> tuple[Any, ...]:
        sock = self._sock
        assert sock is not None
        try:
            sock.settimeout(self.timeout_s)
            send_frame(sock, path)
            started = time.monotonic()
            data = recv_frame(sock)
        except TimeoutError:
            self._stop()
            return ("limit", f"reading the piece took longer than {self.timeout_s:g} s", path)
        except (OSError, ValueError) as exc:
            self._stop()
            return ("limit", f"the parser process failed ({exc})", path)
        if data is None:  # the process ended: let it finish dying to say how
            status = self._stop(wait_s=2.0)
            return ("limit", f"reading the piece went past the parser's limits ({status})", path)
        log.debug("piece parsed in %.0f ms", (time.monotonic() - started) * 1000)
        reply: tuple[Any, ...] = pickle.loads(data)
        return reply

    def _stop(self, wait_s: float = 0.0) -> str:
        """Reap the child (killed unless it ends within `wait_s`); returns how it ended."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        proc, self._proc = self._proc, None
        if proc is None:
            return "not running"
        try:
            code = proc.wait(timeout=wait_s) if wait_s else proc.poll()
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            proc.kill()
            code = proc.wait()
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _child_env() -> dict[str, str]:
    """This environment, with this `conductor` package first on the child's import path."""
    env = dict(os.environ)
    root = str(Path(conductor.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _result(reply: tuple[Any, ...]) -> Piece:
    kind = reply[0]
    if kind == "piece":
        return piece_from_reply(reply[1], reply[2])
    if kind == "errors":
        raise PieceErrors(reply[1])
    if kind == "oserror":
        raise OSError(reply[1], reply[2], reply[3])
    message, path = reply[1], reply[2]
    expected = "a piece of at most about 10,000 sections"
    raise PieceErrors([PieceError(path, 0, 0, "(limit)", message, expected)])


_shared: PieceParser | None = None
_shared_lock = threading.Lock()


def shared_parser() -> PieceParser:
    """The parser process this program shares (`conductor check`, a performance's reloads)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PieceParser()
            atexit.register(_shared.close)
        return _shared
