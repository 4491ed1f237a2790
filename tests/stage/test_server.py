"""The stage server over real HTTP and websockets on localhost: the page, the frames, the commands, the
access rule, two clients, a slow client, a stop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from conductor.stage.access import TOKEN_HEADER
from conductor.stage.frames import FIELDS
from conductor.stage.server import StageServer
from conductor.stage.view import NoteRow, StageError, ViewBox
from tests.stage.conftest import Stage
from tests.stage.scripted import RecordingCommands, view_at

GUARD_S = 20.0  # a failure guard: how long a test waits for what must come


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, GUARD_S))  # type: ignore[arg-type]


async def until(
    ws: aiohttp.ClientWebSocketResponse, seen: dict[str, Any], done: Callable[[dict[str, Any]], bool]
) -> None:
    """Merge view frames into `seen` until `done(seen)`; other messages are kept in seen['_replies']."""
    while not done(seen):
        msg = await ws.receive_json()
        if msg["type"] == "view":
            seen.update(msg["view"])
        else:
            seen.setdefault("_replies", []).append(msg)


def test_the_page_and_its_files_are_served(stage: Stage) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as http:
            page = await http.get(stage.base + "/")
            assert page.status == 200 and "stage.js" in await page.text()
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
            js = await http.get(stage.base + "/stage.js")
            assert js.content_type == "text/javascript" and "new WebSocket" in await js.text()
            css = await http.get(stage.base + "/stage.css")
            assert css.content_type == "text/css"
            view = await (await http.get(stage.base + "/view")).json()
            assert view["section"] == "fours" and view["running_order"][2] == ["fours", "trading", "32 bars"]
            assert (await http.get(stage.base + "/nothing")).status == 404

    run(go())


def test_a_client_gets_the_whole_view_then_what_changed(stage: Stage) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(stage.base + "/ws") as ws:
            first = await ws.receive_json()
            assert first["type"] == "view" and set(first["view"]) == set(FIELDS)
            stage.box.set(view_at(40.0, section=3, key="E minor"))
            seen: dict[str, Any] = {}
            await until(ws, seen, lambda s: s.get("section") == "comping")
            assert seen["key"] == "E minor" and seen["current"] == 3
            assert "running_order" not in seen  # unchanged: not sent again

    run(go())


def test_two_clients_see_the_same_view(stage: Stage) -> None:
    async def go() -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(stage.base + "/ws") as one,
            http.ws_connect(stage.base + "/ws") as two,
        ):
            views: list[dict[str, Any]] = [{}, {}]
            for ws, seen in zip((one, two), views, strict=True):
                await until(ws, seen, lambda s: s.get("section") == "fours")
            stage.box.set(view_at(41.0, section=4, ai_state="held", reload_error="bad edit"))
            for ws, seen in zip((one, two), views, strict=True):
                await until(ws, seen, lambda s: s.get("reload_error") == "bad edit")
            for seen in views:
                seen.pop("_replies", None)
            assert views[0] == views[1] and views[0]["ai_state"] == "held"

    run(go())


def test_commands_over_the_websocket_reach_the_sink(stage: Stage) -> None:
    async def go() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.ws_connect(stage.base + "/ws") as ws:
            await ws.send_json({"id": 1, "type": "press", "action": "next"})
            await ws.send_json({"id": 2, "type": "press", "action": "goto", "target": "coda"})
            await ws.send_json({"id": 3, "type": "param", "name": "temperature", "value": 1.2})
            await ws.send_json({"id": 4, "type": "press", "action": "goto", "target": "encore"})
            await ws.send_str("{not json")
            seen: dict[str, Any] = {}
            await until(ws, seen, lambda s: len(s.get("_replies", [])) == 5)
            return list(seen["_replies"])

    replies = run(go())
    assert [(r["type"], r.get("id")) for r in replies[:4]] == [
        ("ack", 1),
        ("ack", 2),
        ("ack", 3),
        ("error", 4),
    ]
    assert "no section 'encore'" in replies[3]["error"] and "not JSON" in replies[4]["error"]
    assert stage.commands.presses == [("next", None), ("goto", "coda")]
    assert stage.commands.params == [("temperature", 1.2)]


def test_commands_by_post(stage: Stage) -> None:
    async def go() -> tuple[int, int, dict[str, Any]]:
        async with aiohttp.ClientSession() as http:
            ok = await http.post(stage.base + "/command", json={"type": "press", "action": "hold"})
            bad = await http.post(
                stage.base + "/command", json={"type": "param", "name": "density", "value": 9}
            )
            return ok.status, bad.status, await bad.json()

    ok, bad, body = run(go())
    assert (ok, bad) == (200, 400) and "density must be within 0.3..1" in body["error"]
    assert stage.commands.presses == [("hold", None)] and stage.commands.params == []


def test_a_failing_sink_is_answered_and_the_page_goes_on(stage: Stage) -> None:
    def broken(action: str, target: str | None = None) -> None:
        raise RuntimeError("inbox closed")

    stage.commands.press = broken  # type: ignore[method-assign]

    async def go() -> tuple[int, dict[str, Any], int]:
        async with aiohttp.ClientSession() as http:
            failed = await http.post(stage.base + "/command", json={"type": "press", "action": "next"})
            later = await http.get(stage.base + "/view")
            return failed.status, await failed.json(), later.status

    status, body, later = run(go())
    assert status == 400 and "inbox closed" in body["error"] and later == 200


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Origin": "http://evil.example"}, "may not use this stage"),
        ({"Origin": "null"}, "may not use this stage"),
        ({"Host": "rebound.example"}, "not this machine's loopback address"),
    ],
)
def test_requests_from_other_sites_are_refused(stage: Stage, headers: dict[str, str], why: str) -> None:
    async def go() -> tuple[int, str, int]:
        async with aiohttp.ClientSession() as http:
            page = await http.get(stage.base + "/", headers=headers)
            post = await http.post(
                stage.base + "/command", json={"type": "press", "action": "panic"}, headers=headers
            )
            return page.status, await page.text(), post.status

    page, text, post = run(go())
    assert (page, post) == (403, 403) and why in text
    assert stage.commands.presses == []


def test_a_public_bind_needs_the_opt_in() -> None:
    with pytest.raises(
        StageError, match=r"open to the network on 0\.0\.0\.0: anyone there could press panic"
    ):
        StageServer(ViewBox(view_at(1.0)), RecordingCommands(), "0.0.0.0", 0)
    server = StageServer(ViewBox(view_at(1.0)), RecordingCommands(), "0.0.0.0", 8765, public=True)
    assert server.token and server.url.endswith(f":8765/?token={server.token}")  # not started


def test_a_public_stage_requires_its_token_on_every_request() -> None:
    commands = RecordingCommands()
    server = StageServer(ViewBox(view_at(1.0)), commands, "127.0.0.1", 0, public=True)
    server.start()
    base, token = f"http://127.0.0.1:{server.port}", server.token

    async def go() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # as browsers do
            for path in ("/", "/stage.js", "/view"):
                assert (await http.get(base + path)).status == 403
            assert (await http.get(base + "/?token=wrong")).status == 403
            post = await http.post(base + "/command", json={"type": "press", "action": "panic"})
            assert post.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(base + "/ws")
            assert refused.value.status == 403
            assert (await http.get(base + "/view", headers={TOKEN_HEADER: str(token)})).status == 200
            page = await http.get(f"{base}/?token={token}")  # sets the cookie the page's files need
            assert page.status == 200 and (await http.get(base + "/stage.js")).status == 200
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{base}/ws?token={token}") as ws:
            assert (await ws.receive_json())["type"] == "view"
            await ws.send_json({"id": 1, "type": "press", "action": "next"})
            await until(ws, {}, lambda s: bool(s.get("_replies")))

    try:
        run(go())
    finally:
        server.stop()
    assert commands.presses == [("next", None)]


def test_an_address_in_use_is_a_clear_error(stage: Stage) -> None:
    other = StageServer(ViewBox(view_at(1.0)), RecordingCommands(), "127.0.0.1", stage.server.port)
    with pytest.raises(
        StageError, match=rf"cannot serve the stage page on 127.0.0.1:{stage.server.port}: .*in use"
    ):
        other.start()


def test_stopping_closes_every_page_and_can_be_repeated() -> None:
    server = StageServer(ViewBox(view_at(1.0)), RecordingCommands(), "127.0.0.1", 0)
    server.start()

    async def go() -> aiohttp.WSMessage:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"http://127.0.0.1:{server.port}/ws") as ws,
        ):
            await ws.receive_json()
            await asyncio.get_running_loop().run_in_executor(None, server.stop)
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return msg

    closing = run(go())
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    server.stop()  # again: nothing happens
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_a_client_that_stops_reading_misses_frames_and_holds_up_no_one(stage: Stage) -> None:
    """A raw websocket client reads nothing while big frames (20,000 notes each, more than the socket
    buffers hold) pile up; the other client still gets every change, and the stuck one, read at last,
    got the newest frames but not all: the server dropped frames for it rather than queue them."""
    notes = [
        tuple(NoteRow(round(i * 0.001 + k, 3), 0.1, 60 + i % 24, 80) for i in range(20000)) for k in range(30)
    ]
    stuck = _raw_websocket(stage.server.port)

    async def go() -> float:
        async with aiohttp.ClientSession() as http, http.ws_connect(stage.base + "/ws", max_msg_size=0) as ws:
            seen: dict[str, Any] = {}
            for k, human in enumerate(notes):
                stage.box.set(replace(view_at(40.0), now=100.0 + k, human=human))
                await until(ws, seen, lambda s, k=k: s.get("now") == 100.0 + k)
            return float(seen["now"])

    try:
        assert run(go()) == 129.0
        received = _read_until(stuck, b'"now":129.0')
    finally:
        stuck.close()
    assert received.count(b'"type":"view"') < len(notes)


def _raw_websocket(port: int) -> socket.socket:
    """A websocket opened by hand (so nothing reads it until the test does)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    sock.settimeout(GUARD_S)
    data = bytearray()
    while data.find(marker, max(0, len(data) - (1 << 21))) < 0:
        chunk = sock.recv(1 << 20)
        assert chunk, "the server closed the stuck client's connection"
        data += chunk
    return bytes(data)


def test_a_view_that_cannot_be_encoded_keeps_the_last_one_shown(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.ws_connect(stage.base + "/ws") as ws:
            seen: dict[str, Any] = {}
            await until(ws, seen, lambda s: s.get("section") == "fours")
            stage.box.set(replace(view_at(40.0), take=object()))  # type: ignore[arg-type]
            while "not shown" not in caplog.text:
                await asyncio.sleep(0.01)
            stage.box.set(view_at(40.0, section=5))
            await until(ws, seen, lambda s: s.get("section") == "coda")
            return seen

    with caplog.at_level("WARNING", "conductor.stage"):
        assert run(go())["section"] == "coda"
    assert "stage page: view 1 not shown: TypeError(" in caplog.text
