"""OSC in a piece: the address check, the `osc:` block's raw schema and its compiled settings.

A piece maps OSC addresses beside MIDI messages (`controls: - {osc: /conductor/next, action: next}`,
`params: - {osc: /fader/1, param: temperature, range: [0.8, 1.3]}`) and may name, in an `osc:` block,
where to listen (`port`, `host`) and where to send the performance's state (`send_to: HOST:PORT`).
The command line overrides both. Pure: no I/O; `conductor.stage` builds its receiver from these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from conductor.piece.fieldtypes import Strict, custom_error
from conductor.piece.names import Param

FORBIDDEN = set(" #*,?[]{}")  # OSC pattern characters and space: not in a concrete address
DEFAULT_OSC_PORT = 8000  # TouchOSC's default port to send to
ADDRESS_EXAMPLE = "an OSC address such as /conductor/next"


def check_address(address: str) -> str:
    """`address` if it is a plain OSC address; ValueError saying what is wrong otherwise."""
    if not address.startswith("/") or len(address) < 2:
        raise ValueError(f"an OSC address starts with '/' (e.g. /conductor/next), got {address!r}")
    bad = sorted(FORBIDDEN & set(address))
    if bad:
        raise ValueError(f"OSC address {address!r} may not contain {' '.join(repr(c) for c in bad)}")
    return address


def split_host_port(text: str) -> tuple[str, int]:
    """('192.168.1.20', 9000) from '192.168.1.20:9000' (IPv6 in brackets); ValueError otherwise."""
    host, sep, port = text.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 192.168.1.20:9000, a port 1..65535)")
    return host, int(port)


def _validated(check: Any, expected: str) -> Any:
    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            raise custom_error(f"{value!r} is not text", expected)
        try:
            check(value)
        except ValueError as exc:
            raise custom_error(str(exc), expected) from None
        return value

    return validate


OscAddress = Annotated[
    str,
    BeforeValidator(_validated(check_address, ADDRESS_EXAMPLE)),
    WithJsonSchema({"type": "string", "pattern": r"^/[^ #*,?\[\]{}]+$", "examples": ["/conductor/next"]}),
]
HostPort = Annotated[
    str,
    BeforeValidator(_validated(split_host_port, "HOST:PORT, e.g. 192.168.1.20:9000")),
    WithJsonSchema({"type": "string", "examples": ["192.168.1.20:9000"]}),
]


class OscRaw(Strict):
    """Where OSC comes in and where the performance's state goes out (the command line overrides)."""

    port: int | None = Field(None, ge=1, le=65535, description="UDP port to listen on (default 8000)")
    host: str | None = Field(
        None, min_length=1, description="Address to listen on (default 127.0.0.1; 0.0.0.0: the network)"
    )
    send_to: HostPort | None = Field(None, description="HOST:PORT to send section, key and AI state to")


@dataclass(frozen=True, slots=True)
class OscParamMapping:
    """An OSC address that sets a live parameter: a fader's 0..1 scaled onto low..high."""

    address: str
    param: Param
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"{self.address}: the range of {self.param} must be two numbers")


@dataclass(frozen=True, slots=True)
class OscSpec:
    """The piece's OSC: where to listen (None: not unless the command line asks), where to send the
    state (None: nowhere), and the parameters faders set (the actions are in `Piece.actions`)."""

    host: str = "127.0.0.1"
    port: int | None = None
    send_to: tuple[str, int] | None = None
    params: tuple[OscParamMapping, ...] = ()
