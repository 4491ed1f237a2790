"""MIDI ports for a live performance: backend choice, listing, opening by name substring, health.

Ports go through mido's python-rtmidi backend. The MIDI API (JACK, ALSA, CoreMIDI, WinMM) is chosen
by `--midi-api` or the `CONDUCTOR_MIDI_API` environment variable; `None` lets rtmidi pick.

Thread safety: `open_*` and `port_names` are called from the main thread only. The input callback
installed by `open_input` runs on rtmidi's own thread and does nothing but read the clock and put a
tuple on a `queue.SimpleQueue` (realtime-safe enough: no lock held for long, no allocation beyond
the tuple).
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mido

ENV_API = "CONDUCTOR_MIDI_API"
VIRTUAL_IN = "conductor in"
VIRTUAL_OUT = "conductor out"

# short names a musician types → python-rtmidi API names
APIS = {
    "jack": "UNIX_JACK",
    "alsa": "LINUX_ALSA",
    "coremidi": "MACOSX_CORE",
    "core": "MACOSX_CORE",
    "winmm": "WINDOWS_MM",
    "windows": "WINDOWS_MM",
}

Inbox = "queue.SimpleQueue[tuple[float, str, mido.Message]]"


class PortError(RuntimeError):
    """Raised by this module when a port cannot be found or opened; the message lists what exists."""


class PortNotFound(PortError, LookupError):
    """No port name contains the asked-for substring."""


def resolve_api(api: str | None) -> str | None:
    """The rtmidi API name for `api` (or `$CONDUCTOR_MIDI_API`); None lets rtmidi choose."""
    name = api or os.environ.get(ENV_API) or None
    if name is None:
        return None
    key = name.strip().lower()
    if key in APIS:
        return APIS[key]
    if name.upper() in APIS.values():
        return name.upper()
    raise PortError(f"unknown MIDI API {name!r}: expected one of {', '.join(sorted(set(APIS)))}")


def backend(api: str | None = None) -> Any:
    """A loaded mido backend over python-rtmidi for `api` (see `resolve_api`)."""
    rt_api = resolve_api(api)
    name = "mido.backends.rtmidi" + (f"/{rt_api}" if rt_api else "")
    try:
        return mido.Backend(name, load=True)
    except Exception as exc:  # rtmidi raises its own SystemError subclasses
        raise PortError(f"cannot load MIDI backend {name}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class PortNames:
    """The ports one backend sees right now."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def port_names(be: Any) -> PortNames:
    """Every input and output port name of backend `be` (empty when the MIDI server is gone)."""
    try:
        return PortNames(tuple(be.get_input_names()), tuple(be.get_output_names()))
    except Exception as exc:
        raise PortError(f"cannot list MIDI ports: {exc}") from exc


def match_port(wanted: str, available: tuple[str, ...], kind: str) -> str:
    """The first name in `available` containing `wanted` (case-insensitive); PortNotFound lists all."""
    for name in available:
        if wanted.lower() in name.lower():
            return name
    listing = "\n  ".join(available) if available else "(none)"
    raise PortNotFound(f"no MIDI {kind} port matches {wanted!r}. Available {kind} ports:\n  {listing}")


def enqueue_callback(
    inbox: queue.SimpleQueue[tuple[float, str, mido.Message]], now: Callable[[], float], role: str
) -> Callable[[mido.Message], None]:
    """The input callback: timestamp with `now()` and enqueue `(t, role, msg)`. Realtime-safe."""

    def callback(msg: mido.Message) -> None:
        inbox.put((now(), role, msg))

    return callback


def open_input(be: Any, wanted: str | None, callback: Callable[[mido.Message], None], virtual: bool) -> Any:
    """Open an input port: a virtual one named `conductor in`, or the one matching `wanted`."""
    if virtual:
        return _opened(lambda: be.open_input(VIRTUAL_IN, virtual=True, callback=callback), VIRTUAL_IN)
    if wanted is None:
        raise PortError("no MIDI input chosen: give --in NAME, --virtual, or midi.input in the piece")
    name = match_port(wanted, port_names(be).inputs, "input")
    return _opened(lambda: be.open_input(name, callback=callback), name)


def open_output(be: Any, wanted: str | None, virtual: bool) -> Any:
    """Open an output port: a virtual one named `conductor out`, or the one matching `wanted`."""
    if virtual:
        return _opened(lambda: be.open_output(VIRTUAL_OUT, virtual=True), VIRTUAL_OUT)
    if wanted is None:
        raise PortError("no MIDI output chosen: give --out NAME, --virtual, or midi.output in the piece")
    name = match_port(wanted, port_names(be).outputs, "output")
    return _opened(lambda: be.open_output(name), name)


def _opened(opener: Callable[[], Any], name: str) -> Any:
    try:
        return opener()
    except PortError:
        raise
    except Exception as exc:
        raise PortError(f"cannot open MIDI port {name!r}: {exc}") from exc


def still_there(be: Any, names: tuple[str, ...]) -> list[str]:
    """Which of `names` have disappeared from the backend's port lists (e.g. jackd died).

    Only checks ports opened by name; a dead JACK server shows as every port missing, because
    `send_message` keeps silently succeeding after the server is gone.
    """
    try:
        current = port_names(be)
    except PortError:
        return list(names)
    present = set(current.inputs) | set(current.outputs)
    return [n for n in names if n not in present]


def format_listing(names: PortNames) -> str:
    """The `conductor ports` listing."""
    lines = ["MIDI inputs:"] + [f"  {n}" for n in names.inputs or ("(none)",)]
    lines += ["MIDI outputs:"] + [f"  {n}" for n in names.outputs or ("(none)",)]
    return "\n".join(lines)
