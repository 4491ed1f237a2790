"""Read a file someone hands us (a MIDI file, a take log, a model's config) without trusting it.

Only a regular file is read, opened without blocking, so a FIFO or a device (`/dev/zero`) is refused at
once instead of waited on or read forever; at most `limit` bytes are read. Every fault is one
`InputFileError` line naming the file, what was wrong and what was expected.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conductor.core.errors import ConductorError


class InputFileError(ConductorError, ValueError):
    """A file given as input cannot be used; the message is one line naming the file and the fault.

    Raised by `read_input_bytes`, `conductor.core.midifile.read_midi` and the take-log reader
    (`conductor.rehearse.takelog`); a musician can act on it.
    """


def read_input_bytes(path: Path, limit: int, expected: str) -> bytes:
    """The bytes of the regular file `path` (at most `limit`), or an `InputFileError`.

    Opens without blocking, so a FIFO or a device is refused at once instead of waited on.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror}): expected {expected}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError(f"{path}: is a folder: expected {expected}")
        if not stat.S_ISREG(mode):
            raise InputFileError(f"{path}: is not a regular file (a pipe or a device?): expected {expected}")
        data = _read_fd(fd, limit + 1)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror}): expected {expected}") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputFileError(f"{path}: is larger than {limit // 2**20} MB: expected {expected}")
    return data


def _read_fd(fd: int, most: int) -> bytes:
    """Up to `most` bytes from `fd` (a regular file: reads never block)."""
    chunks: list[bytes] = []
    while most > 0 and (chunk := os.read(fd, min(most, 1 << 20))):
        chunks.append(chunk)
        most -= len(chunk)
    return b"".join(chunks)
