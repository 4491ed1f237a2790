"""The parser process: loads piece files for `conductor.piece.parser.PieceParser`, under OS limits.

Started as `python -m conductor.piece.parse_worker FD MEMORY_MB CPU_S` with one end of a socket pair
as FD. It limits its own address space (RLIMIT_AS) before importing anything heavy, lowers its CPU
priority (nice 5: a performance's clock and model come first), then answers one request at a time:
a piece path in, a pickled reply out (framing: `send_frame`/`recv_frame`). Each request gets CPU_S
more seconds of CPU (RLIMIT_CPU): a parse that runs away is killed by the kernel even if the parent
is not watching.
Ctrl-C is ignored (it is meant for the performance); the process ends when its socket closes.

Replies: `("ready",)` once, then per request `("piece", head, chunks)` (see `piece_reply`),
`("errors", [PieceError])` or `("oserror", errno, strerror, filename)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import socket
import struct
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conductor.piece.compiled import Piece, Section

_HEADER = struct.Struct("!Q")
MAX_FRAME = 256 * 1024 * 1024


def send_frame(sock: socket.socket, obj: Any) -> None:
    """Pickle `obj` and send it with its length."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv_frame(sock: socket.socket) -> bytes | None:
    """The next frame's bytes, or None if the other end closed (timeouts: `socket.timeout`)."""
    header = _recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"a reply of {size:,} bytes is larger than {MAX_FRAME:,}")
    return _recv_exactly(sock, size)


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # not on a POSIX system: no OS limits, the loader's own limits still hold
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limit_cpu(seconds: float) -> None:
    """Allow `seconds` more CPU seconds from now (SIGXCPU ends the process past them)."""
    try:
        import resource
    except ImportError:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used.ru_utime + used.ru_stime + seconds) + 1
    soft = soft if hard == resource.RLIM_INFINITY else min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


CHUNK = 250  # sections per pickle: ~2 ms to unpickle, so the receiver can let its clock run between


def piece_reply(piece: Piece) -> tuple[str, bytes, list[bytes]]:
    """`("piece", the piece without its sections, [its sections CHUNK at a time])`, each pickled."""
    head = pickle.dumps(dataclasses.replace(piece, sections=()), protocol=pickle.HIGHEST_PROTOCOL)
    sections = piece.sections
    chunks = [pickle.dumps(sections[i : i + CHUNK], protocol=pickle.HIGHEST_PROTOCOL)
              for i in range(0, len(sections), CHUNK)]  # fmt: skip
    return ("piece", head, chunks)


def piece_from_reply(head: bytes, chunks: list[bytes]) -> Piece:
    """The piece of a `piece_reply`, yielding the interpreter lock between chunks (thread-safe)."""
    sections: list[Section] = []
    for chunk in chunks:
        sections.extend(pickle.loads(chunk))
        time.sleep(0)  # a thread waiting for the lock (a clock thread) takes it now, not in 5 ms
    piece: Piece = dataclasses.replace(pickle.loads(head), sections=tuple(sections))
    return piece


def answer(path: str) -> tuple[Any, ...]:
    """The reply to one request: load the piece at `path`."""
    from conductor.piece.errors import PieceError, PieceErrors
    from conductor.piece.loader import load_piece

    try:
        return piece_reply(load_piece(path))
    except PieceErrors as exc:
        return ("errors", exc.errors)
    except OSError as exc:
        return ("oserror", exc.errno, exc.strerror, exc.filename)
    except (MemoryError, RecursionError) as exc:
        what = "memory" if isinstance(exc, MemoryError) else "nesting"
        error = PieceError(path, 0, 0, "(limit)", f"reading the piece needed more {what} than allowed",
                           "a piece of at most about 10,000 sections")  # fmt: skip
        return ("errors", [error])
    except Exception as exc:  # a bug in conductor: still one line for the musician, never a traceback
        message = f"conductor could not read this piece ({type(exc).__name__}: {exc}); please report it"
        return ("errors", [PieceError(path, 0, 0, "(internal)", message)])


def main(argv: list[str]) -> int:
    """Serve requests on the socket FD until it closes."""
    fd, memory_mb, cpu_s = int(argv[0]), int(argv[1]), float(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(memory_mb)
    with contextlib.suppress(OSError):
        os.nice(5)
    sock = socket.socket(fileno=fd)
    import conductor.piece.loader  # noqa: F401  (imported before "ready": the first request is fast)

    send_frame(sock, ("ready",))
    while True:
        request = recv_frame(sock)
        if request is None:
            return 0
        _limit_cpu(cpu_s)
        send_frame(sock, answer(pickle.loads(request)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
