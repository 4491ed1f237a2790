"""Load a piece: read YAML with positions, validate the schema, cross-check, compile. All errors at once.

Reading is bounded (`conductor.piece.limits`): only a regular file of at most `MAX_BYTES` is read (a
FIFO, a device such as /dev/zero or a folder is refused without blocking), and the YAML is composed
under limits on nesting and aliases. To bound time and memory as well, or to keep parsing off a
performing process, load through `conductor.piece.parser.PieceParser` (a separate process).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from conductor.piece.compile import compile_piece
from conductor.piece.compiled import Piece
from conductor.piece.context import Context
from conductor.piece.crossrefs import cross_check
from conductor.piece.errors import PieceError, PieceErrors
from conductor.piece.limits import MAX_BYTES
from conductor.piece.partial import checkable
from conductor.piece.schema import PieceFile
from conductor.piece.sharing import share_equal
from conductor.piece.validate import validate
from conductor.piece.yamlnodes import Document, read_document, syntax_error, text_position


def load_piece_text(text: str, path: str | Path | None = None) -> Piece:
    """Compile a piece from YAML text; `path` names the file in errors and anchors relative paths.

    Raises `PieceErrors` holding every error found (syntax, limits, schema, cross-references, semantics).
    """
    file = str(path) if path is not None else None
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _file_error(file, f"the piece is larger than {MAX_BYTES // 1000:,} KB", "a piece of a few KB")
    try:
        doc = read_document(text, file)
    except yaml.YAMLError as exc:
        raise PieceErrors([syntax_error(exc, file, text)]) from None
    raw, errors, locs = validate(doc, file)
    errors = doc.problems + errors + cross_check(doc, file)
    source = Path(path) if path is not None else None
    if raw is None:  # compile what can be: its errors are reported with the schema's
        part = checkable(doc.data, locs)
        if part is not None:
            errors += _compile(doc, file, part[0], source, part[1])[1]
        raise PieceErrors(errors)
    piece, more = _compile(doc, file, raw, source, None)
    if errors or more:
        raise PieceErrors(errors + more)
    return share_equal(piece)


def _compile(
    doc: Document, file: str | None, raw: PieceFile, path: Path | None, indices: list[int] | None
) -> tuple[Piece, list[PieceError]]:
    ctx = Context(doc, file, has_tempo=raw.tempo is not None)
    piece = compile_piece(ctx, raw, path, indices)
    return piece, ctx.errors


def load_piece(path: str | Path) -> Piece:
    """Load and compile the piece file at `path` (raises `PieceErrors`, or OSError if it cannot be opened)."""
    return load_piece_text(read_piece_file(path), Path(path))


def read_piece_file(path: str | Path) -> str:
    """The text of a piece file: a regular file of at most `MAX_BYTES`, UTF-8 (a leading BOM dropped).

    Raises `PieceErrors` for anything else (a folder, a FIFO, a device, a huge or binary file) and
    OSError when it cannot be opened. Never blocks: a FIFO is opened non-blocking, then refused.
    """
    file = str(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise _file_error(file, f"this is {kind}, not a piece file", "a .yaml text file")
        if info.st_size > MAX_BYTES:
            raise _file_error(file, f"the file is {info.st_size:,} bytes; a piece is at most {MAX_BYTES:,}",
                              "a piece file of a few KB (is this the right file?)")  # fmt: skip
        data = os.read(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise _file_error(file, f"the file is larger than {MAX_BYTES:,} bytes", "a piece file of a few KB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        where = text_position(before, len(before))
        raise PieceErrors([PieceError(file, where.line, where.column, "(file)",
                                      f"not UTF-8 text: {exc.reason} (byte 0x{data[exc.start]:02x})",
                                      "a piece saved as UTF-8 text")]) from None  # fmt: skip


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def _file_error(file: str | None, message: str, expected: str) -> PieceErrors:
    return PieceErrors([PieceError(file, 0, 0, "(file)", message, expected)])
