"""Annotated field types for the raw piece schema: durations, keys, pitches, and short-or-long forms.

Each type validates with a sentence a musician can act on (carried in the error's context as
`message`, `expected` and `suggestion`) and describes itself in the JSON Schema for editors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, WithJsonSchema
from pydantic_core import PydanticCustomError

from conductor.core.errors import too_long
from conductor.core.keys import parse_key
from conductor.piece.durations import FOOTSWITCH, SpanError, SpanKind, parse_span
from conductor.piece.errors import did_you_mean
from conductor.piece.values import KEY_EXAMPLES, PITCH_EXAMPLES, parse_meter, parse_pitch

_SPAN_PATTERN = r"^\s*(\d+(\.\d*)?|\.\d+)\s*(bars?|beats?|s|secs?|seconds?|ms{units})\s*$"


def custom_error(message: str, expected: str = "", suggestion: str | None = None) -> PydanticCustomError:
    """A validation error whose context carries our message, expectation and suggestion."""
    context = {"message": message, "expected": expected, "suggestion": suggestion or ""}
    return PydanticCustomError("piece", "{message}", context)


def _span_validator(kind: SpanKind) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        try:
            parse_span(value, kind)
        except SpanError as exc:
            raise custom_error(exc.message, exc.expected, exc.suggestion) from None
        return value.strip()

    return check


def _span_schema(kind: SpanKind) -> dict[str, Any]:
    pattern = _SPAN_PATTERN.replace("{units}", "|notes?" if kind is SpanKind.WINDOW else "")
    schema: dict[str, Any] = {"type": "string", "pattern": pattern, "description": f"Expected {kind.value}"}
    if kind is SpanKind.LENGTH:
        schema = {"anyOf": [{"type": "string", "pattern": pattern}, {"const": FOOTSWITCH}]}
        schema["description"] = f"Expected {kind.value}"
    return schema


_TIME, _WINDOW, _LENGTH = SpanKind.TIME, SpanKind.WINDOW, SpanKind.LENGTH
TimeStr = Annotated[str, BeforeValidator(_span_validator(_TIME)), WithJsonSchema(_span_schema(_TIME))]
WindowStr = Annotated[str, BeforeValidator(_span_validator(_WINDOW)), WithJsonSchema(_span_schema(_WINDOW))]
LengthStr = Annotated[str, BeforeValidator(_span_validator(_LENGTH)), WithJsonSchema(_span_schema(_LENGTH))]


def _check_key(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "detect":
        return "detect"
    try:
        return parse_key(value).name if isinstance(value, str) else value
    except ValueError as exc:
        raise custom_error(str(exc), KEY_EXAMPLES, did_you_mean(value, ["detect"])) from None


def _check_pitch(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value
    try:
        return parse_pitch(value)
    except ValueError as exc:
        raise custom_error(str(exc), PITCH_EXAMPLES) from None


def _check_meter(value: Any) -> Any:
    if not isinstance(value, str):
        shown = too_long(repr(value))
        raise custom_error(f"{shown} is not a meter", "a meter such as '4/4', '3/4' or '6/8' (in quotes)")
    try:
        parse_meter(value)
    except ValueError as exc:
        raise custom_error(str(exc), "a meter such as '4/4', '3/4' or '6/8'") from None
    return value


KeyName = Annotated[
    str,
    BeforeValidator(_check_key),
    WithJsonSchema({"type": "string", "description": f"Key: {KEY_EXAMPLES}", "examples": ["detect"]}),
]
Pitch = Annotated[
    int,
    BeforeValidator(_check_pitch),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": 127}, {"type": "string"}]}),
]
Meter = Annotated[
    str,
    BeforeValidator(_check_meter),
    WithJsonSchema({"type": "string", "pattern": r"^\d+/(1|2|4|8|16|32)$", "examples": ["4/4", "6/8"]}),
]
Channel = Annotated[int, Field(ge=1, le=16, description="MIDI channel as musicians count: 1..16")]
MidiNumber = Annotated[int, Field(ge=0, le=127, description="MIDI number 0..127")]


FORM_TAGS = frozenset({"~off", "~word", "~number", "~map"})  # union branch tags in pydantic locations


def _form_of(value: Any) -> str | None:
    if value is False:
        return "~off"
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return "~word"
    if isinstance(value, int | float):
        return "~number"
    if isinstance(value, dict | BaseModel):  # a mapping as written, or built in code (mode presets)
        return "~map"
    return None


def forms(expected: str, **branches: Any) -> Any:
    """A value written in one of several forms, chosen by its YAML type: word, number, map or off.

    `forms("...", word=Literal[...], map=SomeModel)`; the union branch tags (`~word`, ...) never reach
    the musician: the error layer removes them from key paths.
    """
    members = tuple(Annotated[kind, Tag(f"~{name}")] for name, kind in branches.items())
    tags = {f"~{name}" for name in branches}

    def pick(value: Any) -> str | None:
        form = _form_of(value)
        return form if form in tags else None

    return Annotated[
        Union[members],  # noqa: UP007  (a runtime tuple of members)
        Discriminator(pick, custom_error_type="piece_form", custom_error_message=f"expected {expected}"),
    ]


class Strict(BaseModel):
    """Base of every raw model: unknown keys are errors, values are not coerced, numbers are finite."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)
