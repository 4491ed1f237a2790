"""MIDI ports for a live performance: backend choice, listing, opening by name substring, health.

Ports go through mido's python-rtmidi backend. The MIDI API (JACK, ALSA, CoreMIDI, WinMM) is chosen
by `--midi-api` or the `CONDUCTOR_MIDI_API` environment variable; `None` lets rtmidi pick.

Inputs do NOT use an rtmidi callback: with JACK, rtmidi calls a callback from JACK's process
thread, which then waits for Python's interpreter lock; while the engine thread holds it, JACK's
cycle overruns and messages arrive late, twice, or not at all (seen here). Instead rtmidi queues
input in C++ (no interpreter involved) and a `PolledInput` reader thread takes it every millisecond:
it only reads the clock and puts `(t, role, msg)` on a `queue.SimpleQueue`.

When the MIDI system itself cannot start, the error keeps rtmidi's own reason and adds what to do:
on a machine without ALSA's sequencer (no `/dev/snd/seq`: a container, a server) use
`--midi-api jack`; when JACK is chosen but not running, start `jackd`.

Thread safety: `open_*` and `port_names` are called from the main thread only; the reader thread
touches only its rtmidi object and the queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import mido
import rtmidi

from conductor.core.errors import ConductorError

log = logging.getLogger(__name__)

T = TypeVar("T")
ENV_API = "CONDUCTOR_MIDI_API"
VIRTUAL_IN = "conductor in"
VIRTUAL_OUT = "conductor out"
FOOTSWITCH = "conductor footswitch"  # the client (and port) name of the footswitch input
CLOCK = "conductor clock"  # the client (and port) name of the MIDI clock input
WATCH = "conductor watch"  # the port lister's clients
ALSA_SEQ = "/dev/snd/seq"

# short names a musician types → python-rtmidi API names
APIS = {
    "jack": "UNIX_JACK",
    "alsa": "LINUX_ALSA",
    "coremidi": "MACOSX_CORE",
    "core": "MACOSX_CORE",
    "winmm": "WINDOWS_MM",
    "windows": "WINDOWS_MM",
}


class PortError(ConductorError, RuntimeError):
    """Raised by this module when a port cannot be found or opened; the message lists what exists."""


class PortNotFound(PortError, LookupError):
    """Raised by this module when no port name contains the asked-for substring."""


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


class OutputPort(Protocol):
    """An open MIDI output (a mido port over python-rtmidi, or a test's recording port)."""

    name: str

    def send(self, msg: mido.Message) -> None:
        """Send one message now."""

    def close(self) -> None:
        """Close the port."""


class MidiBackend(Protocol):
    """What conductor uses of a loaded mido backend (`mido.Backend`)."""

    def get_input_names(self) -> list[str]:
        """Every input port name."""
        ...

    def get_output_names(self) -> list[str]:
        """Every output port name."""
        ...

    def open_output(self, name: str | None = None, virtual: bool = False) -> OutputPort:
        """Open (or, `virtual`, create) an output port."""
        ...


def backend(api: str | None = None) -> MidiBackend:
    """A loaded mido backend over python-rtmidi for `api` (see `resolve_api`)."""
    rt_api = resolve_api(api)
    name = "mido.backends.rtmidi" + (f"/{rt_api}" if rt_api else "")
    try:
        loaded: MidiBackend = mido.Backend(name, load=True)
        return loaded
    except Exception as exc:  # rtmidi raises its own SystemError subclasses
        raise PortError(explain(f"cannot load MIDI backend {name}", exc)) from exc


def explain(what: str, exc: BaseException) -> str:
    """`what: rtmidi's reason`, plus what to do when the MIDI system itself is missing."""
    reason = str(exc).strip() or type(exc).__name__
    hint = ""
    if "ALSA" in reason and not os.path.exists(ALSA_SEQ):
        hint = (
            f" — this machine has no ALSA MIDI ({ALSA_SEQ} is missing): use --midi-api jack "
            f"(or {ENV_API}=jack) with a running JACK server"
        )
    elif "JACK server not running" in reason or "JackServer" in reason:
        hint = " — start a JACK server first (e.g. `jackd -d dummy &`, or jackd with your sound card)"
    return f"{what}: {reason}{hint}"


@dataclass(frozen=True, slots=True)
class PortNames:
    """The ports one backend sees right now."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def port_names(be: MidiBackend) -> PortNames:
    """Every input and output port name of backend `be` (empty when the MIDI server is gone)."""
    try:
        return PortNames(tuple(be.get_input_names()), tuple(be.get_output_names()))
    except Exception as exc:
        raise PortError(explain("cannot list MIDI ports", exc)) from exc


def match_port(wanted: str, available: tuple[str, ...], kind: str) -> str:
    """The first name in `available` containing `wanted` (case-insensitive); PortNotFound lists all."""
    for name in available:
        if wanted.lower() in name.lower():
            return name
    listing = "\n  ".join(available) if available else "(none)"
    raise PortNotFound(f"no MIDI {kind} port matches {wanted!r}. Available {kind} ports:\n  {listing}")


def enqueue_callback(
    put: Callable[[tuple[float, str, mido.Message]], None], now: Callable[[], float], role: str
) -> Callable[[mido.Message], None]:
    """The input callback: timestamp with `now()` and `put` `(t, role, msg)` (a queue's put, which
    must not block). Realtime-safe."""

    def callback(msg: mido.Message) -> None:
        put((now(), role, msg))

    return callback


class PolledInput:
    """An rtmidi input read by its own thread (see the module docstring); `close()` to stop."""

    def __init__(
        self, rt: rtmidi.MidiIn, name: str, callback: Callable[[mido.Message], None], poll_s: float
    ) -> None:
        self.name = name
        self._rt = rt
        self._callback = callback
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"midi-in {name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            got = self._rt.get_message()
            if got is None:
                time.sleep(self._poll_s)
                continue
            try:
                msg = mido.Message.from_bytes(got[0])
            except ValueError:
                continue  # an invalid or partial message: ignore it, keep reading
            self._callback(msg)

    def stop_reading(self) -> None:
        """Stop the reader thread; the port stays open. Main thread."""
        self._stop.set()
        self._thread.join(timeout=2.0)

    def close(self) -> None:
        """Stop reading and close the port. Main thread.

        Known hazard: closing a JACK input whose peer has vanished can block inside rtmidi while
        holding the interpreter lock; the performance saves its take before closing ports.
        """
        self.stop_reading()
        self._rt.close_port()


def rt_api(api: str | None) -> int:
    """The python-rtmidi API number for `api` (see `resolve_api`)."""
    name = resolve_api(api)
    return int(getattr(rtmidi, f"API_{name}")) if name else int(rtmidi.API_UNSPECIFIED)


def open_input(
    api: str | None,
    wanted: str | None,
    callback: Callable[[mido.Message], None],
    virtual: bool,
    poll_s: float = 0.001,
    client: str = VIRTUAL_IN,
    timing: bool = False,
) -> PolledInput:
    """Open an input port: a virtual one named `conductor in`, or the one matching `wanted`. The
    MIDI client (what JACK and ALSA list) and its own port are both named `client`. Clock and
    transport messages are dropped by rtmidi unless `timing` (a clock source's port)."""
    try:
        rt = rtmidi.MidiIn(rt_api(api), name=client)
        rt.ignore_types(sysex=True, timing=not timing, active_sense=True)
    except Exception as exc:
        raise PortError(explain("cannot start MIDI input", exc)) from exc
    if virtual:
        _opened(lambda: rt.open_virtual_port(client), client)
        return PolledInput(rt, client, callback, poll_s)
    if wanted is None:
        raise PortError("no MIDI input chosen: give --in NAME, --virtual, or midi.input in the piece")
    available = tuple(rt.get_ports())
    name = match_port(wanted, available, "input")
    _opened(lambda: rt.open_port(available.index(name), client), name)
    return PolledInput(rt, name, callback, poll_s)


class RtOutput:
    """An rtmidi output whose MIDI client is named `conductor out` (mido's cannot be named without
    becoming virtual). `send` is thread-safe (a lock) and does no I/O but rtmidi's own."""

    def __init__(self, rt: rtmidi.MidiOut, name: str) -> None:
        self.name = name
        self._rt = rt
        self._lock = threading.Lock()

    def send(self, msg: mido.Message) -> None:
        """Send one message now."""
        data = msg.bytes()
        with self._lock:
            self._rt.send_message(data)

    def close(self) -> None:
        """Close the port."""
        with self._lock:
            self._rt.close_port()


def open_output(api: str | None, wanted: str | None, virtual: bool) -> RtOutput:
    """Open an output port: a virtual one named `conductor out`, or the one matching `wanted`."""
    try:
        rt = rtmidi.MidiOut(rt_api(api), name=VIRTUAL_OUT)
    except Exception as exc:
        raise PortError(explain("cannot start MIDI output", exc)) from exc
    if virtual:
        _opened(lambda: rt.open_virtual_port(VIRTUAL_OUT), VIRTUAL_OUT)
        return RtOutput(rt, VIRTUAL_OUT)
    if wanted is None:
        raise PortError("no MIDI output chosen: give --out NAME, --virtual, or midi.output in the piece")
    available = tuple(rt.get_ports())
    name = match_port(wanted, available, "output")
    _opened(lambda: rt.open_port(available.index(name), VIRTUAL_OUT), name)
    return RtOutput(rt, name)


def _opened(opener: Callable[[], T], name: str) -> T:
    try:
        return opener()
    except PortError:
        raise
    except Exception as exc:
        raise PortError(explain(f"cannot open MIDI port {name!r}", exc)) from exc


def format_listing(names: PortNames) -> str:
    """The `conductor ports` listing."""
    lines = ["MIDI inputs:"] + [f"  {n}" for n in names.inputs or ("(none)",)]
    lines += ["MIDI outputs:"] + [f"  {n}" for n in names.outputs or ("(none)",)]
    return "\n".join(lines)
