"""Validate a parsed document against the raw schema; turn every pydantic error into a `PieceError`."""

from __future__ import annotations

import math
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from conductor.core.errors import too_long
from conductor.piece.errors import KeyPath, PieceError, did_you_mean, format_path
from conductor.piece.fieldtypes import FORM_TAGS
from conductor.piece.schema import PieceFile
from conductor.piece.yamlnodes import Document

_TYPE_WORDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list (lines starting with '- ')",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "int_from_float": "a whole number",
}


Loc = tuple[str | int, ...]


def validate(doc: Document, file: str | None) -> tuple[PieceFile | None, list[PieceError], list[Loc]]:
    """The validated raw piece (None if invalid), every schema error, and where each was found (the
    key paths of the invalid values, for `conductor.piece.partial`)."""
    if not isinstance(doc.data, dict):
        what = "empty" if doc.data is None else f"a {type(doc.data).__name__}, not a mapping"
        expected = "keys such as title, tempo, meter, model, sections"
        return None, [PieceError(file, 1, 1, "(top level)", f"the piece is {what}", expected)], [()]
    try:
        return PieceFile.model_validate(doc.data), [], []
    except ValidationError as exc:
        details = exc.errors()
        return None, [_convert(err, doc, file) for err in details], [clean_path(e["loc"]) for e in details]


def clean_path(loc: tuple[Any, ...]) -> KeyPath:
    """A pydantic location without union branch tags (`~word`, `~map`, ...)."""
    return tuple(p for p in loc if p not in FORM_TAGS)  # (a key written `~`, YAML's null, stays)


def lookup(data: Any, path: KeyPath) -> Any:
    """The value at `path` in plain data, or None."""
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return None
        data = data[part]
    return data


def show(value: Any) -> str:
    """A value as the musician wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        return "infinity" if value > 0 else "-infinity" if value < 0 else "'.nan'"
    return "nothing" if value is None else too_long(repr(value))


def _convert(err: ErrorDetails, doc: Document, file: str | None) -> PieceError:
    path = clean_path(err["loc"])
    kind, ctx = err["type"], err.get("ctx") or {}
    value = lookup(doc.data, path)
    pos = doc.positions.value(path)
    message, expected, suggestion = f"{show(value)}: {_tidy(err['msg'])}", None, None
    if kind == "extra_forbidden":
        pos = doc.positions.key(path)
        allowed = allowed_keys(err["loc"][:-1])
        message = f"unknown key '{path[-1]}'"
        expected = f"one of {', '.join(allowed)}" if allowed else None
        suggestion = did_you_mean(str(path[-1]), allowed)
    elif kind == "missing":
        message, expected = f"'{path[-1]}' is missing", _field_help(err["loc"])
    elif kind == "piece":
        message, expected, suggestion = ctx["message"], ctx["expected"] or None, ctx["suggestion"] or None
    elif kind == "piece_form":
        message, expected = f"{show(value)} is not valid here", err["msg"].removeprefix("expected ")
    elif kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message, expected = f"{show(value)} is not one of the choices", str(ctx.get("expected"))
        suggestion = did_you_mean(value, options)
    else:
        message, expected = _value_message(err, value, path) or (message, expected)
    return PieceError(file, pos.line, pos.column, format_path(path), message, expected, suggestion)


def _value_message(err: ErrorDetails, value: Any, path: KeyPath) -> tuple[str, str | None] | None:
    """(message, expected) for a value of the wrong type or out of range; None for other errors."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if isinstance(value, float) and not math.isfinite(value):
        message = f"{show(value)} is not a number" if math.isnan(value) else "the number is out of range"
        return message, _range_help(err["loc"]) or "a finite number"
    if kind in _TYPE_WORDS:
        return f"{show(value)} is not {_TYPE_WORDS[kind]}", _TYPE_WORDS[kind]
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return f"{show(value)} is too {word}", f"{_WORDS[key]} {_number(ctx[key])}"
    if kind == "string_too_long":
        size = len(value) if isinstance(value, str) else "too many"
        return f"{too_long(repr(value))} is {size} characters long", f"at most {ctx['max_length']} characters"
    if kind == "too_short" and path == ("sections",):
        return "the piece has no sections", "at least one section"
    return None


_BOUNDS = {
    "greater_than_equal": ("low", "ge"),
    "greater_than": ("low", "gt"),
    "less_than_equal": ("high", "le"),
    "less_than": ("high", "lt"),
}
_WORDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


def _tidy(msg: str) -> str:
    return msg.replace("Input should be", "should be").replace("Value error, ", "")


def _members(tp: Any) -> list[Any]:
    """Concrete types inside Annotated/Optional/Union wrappers."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _model_in(tp: Any) -> type[BaseModel] | None:
    return next((m for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)), None)


def _type_at(loc: tuple[Any, ...]) -> Any:
    current: Any = PieceFile
    for part in clean_path(loc):
        if isinstance(part, int):
            lists = [m for m in _members(current) if get_origin(m) is list]
            current = get_args(lists[0])[0] if lists else None
        else:
            model = _model_in(current)
            info = model.model_fields.get(part) if model else None
            current = info.annotation if info else None
    return current


def allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the mapping at `loc` may have."""
    model = _model_in(_type_at(loc))
    return list(model.model_fields) if model else []


def _range_help(loc: tuple[Any, ...]) -> str | None:
    """`'a number from 20 to 400'` for a bounded field, else None."""
    model = _model_in(_type_at(loc[:-1]))
    info = model.model_fields.get(str(loc[-1])) if model else None
    if info is None:
        return None
    metadata = [*info.metadata, *_annotated_metadata(info.annotation)]
    bounds = {k: getattr(m, k) for m in metadata for k in ("ge", "gt", "le", "lt") if hasattr(m, k)}
    low, high = bounds.get("ge", bounds.get("gt")), bounds.get("le", bounds.get("lt"))
    if low is not None and high is not None:
        return f"a number from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"a number of at least {_number(low)}"
    return None if high is None else f"a number of at most {_number(high)}"


def _annotated_metadata(tp: Any) -> list[Any]:
    """Constraints written inside a field's type (`Annotated[int, Field(ge=1, le=16)] | None`)."""
    origin = get_origin(tp)
    if origin is Annotated:
        args = get_args(tp)
        found = [m for extra in args[1:] for m in getattr(extra, "metadata", [extra])]
        return found + _annotated_metadata(args[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(tp) for m in _annotated_metadata(arg)]
    return []


def _number(value: float) -> str:
    """`400`, `0.01`, `4294967295` (never `4.29497e+09`)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def _field_help(loc: tuple[Any, ...]) -> str | None:
    model = _model_in(_type_at(loc[:-1]))
    info = model.model_fields.get(str(loc[-1])) if model else None
    return info.description if info else None
