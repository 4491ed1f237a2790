"""`StageServer`: the stage page served from a thread of its own, with its own asyncio event loop.

Why aiohttp: one well-kept package gives the HTTP server, websockets (with heartbeats and size limits)
and the client the tests use; it runs on a plain event loop, which fits a server that lives in one
thread beside the performance. The page needs nothing more (docs/stage.md).

    server = StageServer(box, commands)            # 127.0.0.1:8765
    print(server.start())                          # http://127.0.0.1:8765/
    ...
    server.stop()

A public bind (any address that is not loopback) needs `public=True` and then requires a token, made
here unless given; `start()` returns the address with the token to print on the terminal. `start`
and `stop` are for the thread that owns the performance; neither blocks the engine for longer than
binding or closing takes, and nothing here runs on the clock thread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from contextlib import suppress

from aiohttp import WSCloseCode, web

from conductor.stage.access import TOKEN_PARAM, is_loopback, new_token
from conductor.stage.view import StageCommands, StageError, ViewBox
from conductor.stage.web import StageApp

log = logging.getLogger("conductor.stage")

DEFAULT_PORT = 8765
FRAME_RATE = 25.0  # view frames a second, at most (the page redraws between them)
START_TIMEOUT = 10.0  # seconds to bind before start() gives up


class StageServer:
    """Serves the stage page for `box`'s views, sending commands to `commands`."""

    def __init__(
        self,
        box: ViewBox,
        commands: StageCommands,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        public: bool = False,
        token: str | None = None,
        frame_rate: float = FRAME_RATE,
    ) -> None:
        if not is_loopback(host) and not public:
            raise StageError(
                f"the stage page would be open to the network on {host or 'every address'}: anyone there "
                "could press panic. Bind to 127.0.0.1, or opt in to a public page (a token is then required)"
            )
        self.host, self.port = host, port
        self.token = (token or new_token()) if public else None
        self._app = StageApp(box, commands, is_loopback(host), self.token, frame_rate)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The page's address (with the token when one is required)."""
        host = self.host if self.host not in ("", "0.0.0.0", "::") else socket.gethostname()
        host = f"[{host}]" if ":" in host else host
        query = f"?{TOKEN_PARAM}={self.token}" if self.token else ""
        return f"http://{host}:{self.port}/{query}"

    @property
    def clients(self) -> int:
        """Pages connected now."""
        return len(self._app.clients)

    def start(self) -> str:
        """Bind and serve; returns `url`. Raises StageError if the address cannot be used."""
        self._thread = threading.Thread(target=self._run, name="conductor-stage-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise StageError(f"the stage page did not start within {START_TIMEOUT:.0f} s")
        if self._error is not None:
            reason = getattr(self._error, "strerror", None) or self._error
            raise StageError(
                f"cannot serve the stage page on {self.host}:{self.port}: {reason} — choose another "
                "address or port (e.g. --web 127.0.0.1:8766)"
            ) from self._error
        return self.url

    def stop(self, timeout: float = 5.0) -> None:
        """Close every page's connection and stop serving (idempotent)."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is None or stopping is None or thread is None or not thread.is_alive():
            return
        with suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("stage page: the server thread did not stop within %.1f s", timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(), or logged if it came later
            if not self._ready.is_set():
                self._error = exc
            else:
                log.exception("stage page: the server stopped")
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self._app.build(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
            self.port = runner.addresses[0][1]
            ticker = asyncio.create_task(self._app.tick())
            self._ready.set()
            await self._stopping.wait()
            ticker.cancel()
            for ws in list(self._app.clients):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"conductor stopped")
        finally:
            await runner.cleanup()
