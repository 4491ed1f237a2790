"""Stop signals of a live performance: Ctrl-C (SIGINT), SIGTERM, SIGHUP (a closed terminal or ssh
session) and SIGQUIT (Ctrl-\\) all end the show the same way.

The handler (main thread, between two bytecodes) only asks the engine thread to stop. If the engine
thread has not stopped `FORCE_AFTER_S` later — an engine bug looping, a call that never returns — or
a second signal comes first, `EmergencyStop` is raised in the main thread to unwind whatever runs
there, so the performance still closes every note and saves the take. It is raised at most once,
and never once the performance is finishing.

Thread safety: `install`/`restore` from the main thread; the timer thread only calls
`_thread.interrupt_main`, which makes the main thread run the handler again.
"""

from __future__ import annotations

import _thread
import signal
import threading
from collections.abc import Callable
from types import FrameType

Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None  # what signal.signal takes
STOP_SIGNALS = tuple(
    getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, n)
)
FORCE_AFTER_S = 3.0


class EmergencyStop(BaseException):
    """Raised in the main thread when the engine thread did not stop when asked. A BaseException, so
    that the engine's own `except Exception` (which keeps the show going) cannot swallow it."""


class StopSignals:
    """Installs the stop handler: `request_stop(name)` on the first signal; `finishing()` says when
    forcing is no longer needed."""

    def __init__(
        self,
        request_stop: Callable[[str], None],
        finishing: Callable[[], bool],
        force_after_s: float = FORCE_AFTER_S,
    ) -> None:
        self._request_stop = request_stop
        self._finishing = finishing
        self._force_after_s = force_after_s
        self._asked = False
        self._forced = False
        self._old: dict[int, Handler] = {}
        self._timer: threading.Timer | None = None

    def install(self) -> None:
        """Take over the stop signals. Only the main thread can: elsewhere (a performance run from
        a benchmark's thread) this does nothing and the caller stops it with `request_stop`."""
        if threading.current_thread() is threading.main_thread():
            self._old = {s: signal.signal(s, self._handle) for s in STOP_SIGNALS}

    def restore(self) -> None:
        """Give the signals back to whoever had them (main thread)."""
        if self._timer is not None:
            self._timer.cancel()
        for signum, handler in self._old.items():
            signal.signal(signum, handler)
        self._old = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self._asked:
            self._asked = True
            self._request_stop(name)
            self._timer = threading.Timer(self._force_after_s, self._force, args=(signum,))
            self._timer.daemon = True
            self._timer.start()
            return
        if not self._finishing() and not self._forced:
            self._forced = True
            raise EmergencyStop(name)

    def _force(self, signum: int) -> None:
        if not self._finishing():
            _thread.interrupt_main(signal.Signals(signum))
