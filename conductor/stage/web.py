"""The stage page's aiohttp application: the page, its websocket of view frames, and commands.

Routes: `GET /` the page (`stage.js`, `stage.css` beside it, all in the package: no build step, no
CDN), `GET /view` the whole view as JSON, `GET /ws` the websocket, `POST /command` one command. Every
request passes `access.refusal` first. The websocket sends a frame of what changed at most
`frame_rate` times a second (`frames.py`); each client has its own sending task, which always takes the
newest frame, so a slow client only misses frames — it never holds up another client or the server.
A command comes over the websocket (`{"id": 3, "type": "press", ...}`, answered `{"type": "ack",
"id": 3}` or `{"type": "error", ...}`) or as a POST; each client may send `COMMAND_RATE` a second.

Thread safety: everything here runs on the server's own event loop thread; it reads the `ViewBox`
(lock-free) and calls the `StageCommands` sink (thread-safe by contract).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import WSMsgType, web

from conductor.stage.access import TOKEN_COOKIE, TOKEN_HEADER, TOKEN_PARAM, refusal
from conductor.stage.commands import CommandError, deliver, parse_command
from conductor.stage.frames import FrameEncoder, frame_text, view_dict
from conductor.stage.limits import QuietLog, TokenBucket
from conductor.stage.view import StageCommands, ViewBox

log = logging.getLogger("conductor.stage")

STATIC = {"stage.js": "text/javascript", "stage.css": "text/css"}
MAX_MESSAGE = 64 * 1024  # bytes of one command
COMMAND_RATE = 30.0  # commands a second per client (bursts of as many)
SEND_TIMEOUT = 10.0  # seconds a client may take to accept one frame before it is dropped
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@dataclass
class StageApp:
    """The page's state on the event loop: the view source, the command sink, the clients."""

    box: ViewBox
    commands: StageCommands
    loopback_bind: bool
    token: str | None
    frame_rate: float
    clients: set[web.WebSocketResponse] = field(default_factory=set)
    _encoder: FrameEncoder = field(default_factory=FrameEncoder)
    _frame: dict[str, str] = field(default_factory=dict)
    _tick: asyncio.Event = field(default_factory=asyncio.Event)
    _warnings: QuietLog = field(default_factory=lambda: QuietLog(log))

    def build(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_MESSAGE)
        app.router.add_get("/", self._page)
        app.router.add_get("/view", self._view)
        app.router.add_get("/ws", self._socket)
        app.router.add_post("/command", self._command)
        app.router.add_get("/favicon.ico", self._no_icon)
        for name in STATIC:
            app.router.add_get(f"/{name}", self._static)
        self._refresh()
        return app

    async def tick(self) -> None:
        """Refresh the frame from the box `frame_rate` times a second and wake every client."""
        while True:
            await asyncio.sleep(1.0 / self.frame_rate)
            self._refresh()
            woken, self._tick = self._tick, asyncio.Event()
            woken.set()

    def _refresh(self) -> None:
        version, view = self.box.latest()
        try:
            self._frame = self._encoder.fragments(version, view)
        except Exception as exc:  # a view that cannot be encoded: the pages keep the last one
            self._warnings.warn("encode", f"stage page: view {version} not shown: {exc!r}", time.monotonic())

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        why = refusal(
            host_header=request.host,
            origin=request.headers.get("Origin"),
            loopback_bind=self.loopback_bind,
            token=self.token,
            given=(
                request.query.get(TOKEN_PARAM),
                request.headers.get(TOKEN_HEADER),
                request.cookies.get(TOKEN_COOKIE),
            ),
        )
        if why is not None:
            self._warnings.warn("refused", f"stage page: refused {request.remote}: {why}", time.monotonic())
            return web.Response(status=403, text=f"conductor stage: {why}\n", headers=HEADERS)
        response: web.StreamResponse = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.update(HEADERS)
        return response

    async def _page(self, request: web.Request) -> web.Response:
        response = web.Response(text=_asset("index.html"), content_type="text/html")
        given = request.query.get(TOKEN_PARAM)
        if self.token is not None and given is not None:  # the guard checked it: keep it for the assets
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="Strict", path="/")
        return response

    async def _static(self, request: web.Request) -> web.Response:
        name = request.path.lstrip("/")
        return web.Response(text=_asset(name), content_type=STATIC[name])

    async def _no_icon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _view(self, request: web.Request) -> web.Response:
        return web.json_response(view_dict(self.box.latest()[1]))

    async def _command(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError as exc:
            return web.json_response({"error": f"not JSON: {exc}"}, status=400)
        error = self._obey(data, request.remote)
        return web.json_response({"error": error} if error else {"ok": True}, status=400 if error else 200)

    def _obey(self, data: Any, who: str | None) -> str | None:
        """Check `data` against the current view and hand it to the sink; the reason if it failed."""
        try:
            command = parse_command(data, self.box.latest()[1])
        except CommandError as exc:
            self._warnings.warn(
                "command", f"stage page: ignored a command from {who}: {exc}", time.monotonic()
            )
            return str(exc)
        try:
            deliver(command, self.commands)
        except Exception as exc:  # the sink's failure must not end the page
            log.exception("stage page: %s failed", command)
            return f"{command} failed: {exc}"
        return None

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=10.0, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        self.clients.add(ws)
        pusher = asyncio.create_task(self._push(ws))
        bucket = TokenBucket(COMMAND_RATE, COMMAND_RATE)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(ws, msg.data, bucket, request.remote)
        except ConnectionError:  # the page went away while it was answered
            pass
        finally:
            pusher.cancel()
            self.clients.discard(ws)
        return ws

    async def _on_text(
        self, ws: web.WebSocketResponse, text: str, bucket: TokenBucket, who: str | None
    ) -> None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            await ws.send_json({"type": "error", "error": f"not JSON: {exc}"})
            return
        ident = data.get("id") if isinstance(data, dict) else None
        if not bucket.take(time.monotonic()):
            error: str | None = f"more than {COMMAND_RATE:.0f} commands a second: ignored"
        else:
            error = self._obey(data, who)
        reply = {"type": "error", "id": ident, "error": error} if error else {"type": "ack", "id": ident}
        await ws.send_json(reply)

    async def _push(self, ws: web.WebSocketResponse) -> None:
        """Send this client the newest frame after every tick (only what changed for it)."""
        sent: dict[str, str] = {}
        seq = 0
        try:
            while not ws.closed:
                text = frame_text(self._frame, sent, seq)
                if text is not None:
                    seq += 1
                    await asyncio.wait_for(ws.send_str(text), SEND_TIMEOUT)
                await self._tick.wait()
        except (TimeoutError, ConnectionError) as exc:
            log.warning("stage page: dropped a client that stopped reading (%s)", type(exc).__name__)
            await ws.close()
        except Exception:  # this client's frames end; the page and the other clients go on
            log.exception("stage page: sending to a client failed")
            await ws.close()


def _asset(name: str) -> str:
    """The text of one of the page's files, read from the package."""
    return resources.files("conductor.stage").joinpath("static", name).read_text(encoding="utf-8")
