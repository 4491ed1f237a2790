"""Watching the MIDI ports during a show: `PortLister` (which ports exist now) and `JackWatch` (has
the JACK server gone?).

`PortLister` lists ports through one long-lived rtmidi client pair; with JACK it also holds a
`JackWatch`, since JACK's listing goes stale when jackd dies.

`JackWatch` notices the JACK server going away: a libjack client of its own, told by `jack_on_shutdown`.

rtmidi's JACK clients go on as if nothing happened when jackd dies: `get_ports()` returns the last
list it knew and `send_message` succeeds (here, after `kill -9` of jackd, three listings over 1.5 s
each gave the old list). libjack tells a client that its server is gone through the callback given
to `jack_on_shutdown` — about 10 ms after `kill -9` or SIGTERM here. `JackWatch` opens one client
(named `conductor watch`, no ports, no process callback, never activated: it costs the server's cycle
nothing) and sets an Event from that callback.

The library is the libjack already loaded in this process (python-rtmidi's wheel bundles its own
copy), else the system's `libjack.so.0`. Without a libjack or without a running server there is no
watch (`open_watch` returns None, with the reason logged) and the port listing alone tells.

Thread safety: `gone()` may be called from any thread (an Event); the callback runs on libjack's
own thread and only sets the Event.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from pathlib import Path

import rtmidi

from conductor.live.ports import WATCH, PortError, PortNames, explain, rt_api

log = logging.getLogger(__name__)
NO_START_SERVER = 0x01  # JackNoStartServer: never start a server just to watch it
ShutdownCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _libjack_path() -> str | None:
    """The libjack mapped into this process already (rtmidi's), else the system's."""
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split()[-1]
            if "/libjack" in path and "libjackserver" not in path and "libjacknet" not in path:
                return path
    return ctypes.util.find_library("jack")


def _load(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path)
    lib.jack_client_open.restype = ctypes.c_void_p
    lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.jack_on_shutdown.restype = None
    lib.jack_on_shutdown.argtypes = [ctypes.c_void_p, ShutdownCallback, ctypes.c_void_p]
    lib.jack_client_close.restype = ctypes.c_int
    lib.jack_client_close.argtypes = [ctypes.c_void_p]
    return lib


class JackWatch:
    """One libjack client whose only job is to hear that the server has shut down."""

    def __init__(self, lib: ctypes.CDLL, client: int) -> None:
        self._lib = lib
        self._client: int | None = client
        self._gone = threading.Event()
        self._callback = ShutdownCallback(self._on_shutdown)  # kept: libjack holds only the pointer
        lib.jack_on_shutdown(client, self._callback, None)

    def _on_shutdown(self, _arg: int | None) -> None:
        self._gone.set()

    def gone(self) -> bool:
        """True once the JACK server has shut down (or died). Thread-safe."""
        return self._gone.is_set()

    def close(self) -> None:
        """Close the client (nothing to close once the server is gone). Main thread."""
        client, self._client = self._client, None
        if client is not None and not self._gone.is_set():
            self._lib.jack_client_close(client)


def open_watch(name: str) -> JackWatch | None:
    """A watch on the JACK server this process talks to; None (logged) when there can be none."""
    path = _libjack_path()
    if path is None:
        log.warning("no libjack found: a JACK server that dies is noticed only by the port listing")
        return None
    try:
        lib = _load(path)
        status = ctypes.c_int(0)
        client = lib.jack_client_open(name.encode(), NO_START_SERVER, ctypes.byref(status))
    except (OSError, AttributeError) as exc:
        log.warning("cannot watch the JACK server through %s: %s", path, exc)
        return None
    if not client:
        log.warning("cannot watch the JACK server (jack_client_open status 0x%x)", status.value)
        return None
    return JackWatch(lib, client)


class PortLister:
    """Lists ports through ONE long-lived rtmidi client pair (no ports of its own).

    mido's `get_*_names` opens and closes a MIDI client on every call; twice a second, that churn
    upset the JACK server here. A lister made once is cheap to ask. Main thread only.
    """

    def __init__(self, api: str | None) -> None:
        try:
            self._in = rtmidi.MidiIn(rt_api(api), name=WATCH)
            self._out = rtmidi.MidiOut(rt_api(api), name=WATCH)
        except Exception as exc:
            raise PortError(explain("cannot start the MIDI port watcher", exc)) from exc
        jack = self._in.get_current_api() == rtmidi.API_UNIX_JACK
        self._jack = open_watch(WATCH) if jack else None  # JACK's port list goes stale when jackd dies

    def server_gone(self) -> bool:
        """True once the JACK server has shut down (the port list then still shows the old ports)."""
        return self._jack is not None and self._jack.gone()

    def names(self) -> PortNames:
        """Every port the server lists now (empty when the server is gone)."""
        try:
            return PortNames(tuple(self._in.get_ports()), tuple(self._out.get_ports()))
        except Exception as exc:
            raise PortError(explain("cannot list MIDI ports", exc)) from exc

    def missing(self, names: tuple[str, ...], *, substring: bool = False) -> list[str]:
        """Which of `names` have disappeared: all of them once the JACK server is gone (jackd died:
        `send_message` keeps succeeding and the listing keeps the old ports, see `jack_watch`).

        With `substring`, a name counts as present if any port contains it (virtual ports, whose
        client name the MIDI server may have made unique).
        """
        if self.server_gone():
            return list(names)
        try:
            current = self.names()
        except PortError:
            return list(names)
        present = set(current.inputs) | set(current.outputs)
        if substring:
            return [n for n in names if not any(n in p for p in present)]
        return [n for n in names if n not in present]

    def close(self) -> None:
        """Release the clients."""
        if self._jack is not None:
            self._jack.close()
        del self._in, self._out
