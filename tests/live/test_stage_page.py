"""The stage page and OSC against a real `conductor perform --virtual --web --osc` over JACK, in headless
Debian chromium: the page follows the footswitch, draws the plan before it sounds, a button moves the
section, a second page sees the same state, a rejected edit's text appears, an OSC message moves the
section. Presence only (generous polls), never timing: timing is in bench/bench_stage.py."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mido
import pytest
from pythonosc.udp_client import SimpleUDPClient

from tests.live.harness import Stage, wait_for
from tests.stage.browser import chromium, chromium_missing, wait_until

pytestmark = [
    pytest.mark.jack,
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
]
PIECE = Path(__file__).parent / "pieces" / "stage.yaml"
READ_PLAN = """
const s = window.stage, d = s.draw;
return {now: s.view.now, plan: s.view.plan, drawNow: d.now, nowX: d.nowX, perS: d.perS,
        drawn: d.rects.plan.map((r) => r.x)};
"""


@pytest.fixture
def piece(tmp_path: Path) -> Path:
    path = tmp_path / "stage.yaml"
    shutil.copy(PIECE, path)
    return path


@pytest.fixture
def stage(jack_server: str, piece: Path, tmp_path: Path) -> Iterator[Stage]:
    s = Stage(piece, tmp_path / "takes", "--web=127.0.0.1:0", "--osc", "127.0.0.1:0")
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def page_url(stage: Stage) -> str:
    found = re.search(r"stage page: (http://\S+)", stage.log())
    assert found, stage.log()
    return found.group(1)


def osc_port(stage: Stage) -> int:
    found = re.search(r"OSC in: 127\.0\.0\.1:(\d+)", stage.log())
    assert found, stage.log()
    return int(found.group(1))


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_until(driver, lambda d: d.execute_script("return window.stage && window.stage.connected"))


def shows(section: str) -> Any:
    return lambda d: d.execute_script("return document.getElementById('section').textContent") == section


def test_the_page_follows_the_performance(browser: Any, stage: Stage) -> None:
    open_page(browser, page_url(stage))
    wait_until(browser, shows("opening"))
    assert browser.execute_script("return document.getElementById('next').textContent") == "next: middle"
    for value in (127, 0):  # the footswitch
        stage.keyboard.send(mido.Message("control_change", control=80, value=value))
    wait_until(browser, shows("middle"))
    assert browser.find_element("css selector", "#order-list li.current").text.startswith("middle")

    seen_at, shown = time.monotonic(), wait_until(browser, _a_plan_note_ahead)
    now, (onset, _, pitch, _) = shown["now"], shown["note"]
    x = shown["nowX"] + (onset - shown["drawNow"]) * shown["perS"]
    assert onset > now and x > shown["nowX"] and any(abs(x - drawn) < 1.0 for drawn in shown["drawn"])
    sounded = wait_for("the planned note in the take", lambda: _sent_at(stage, onset, pitch))
    assert sounded > now  # it was on the page before it was sent
    wait_for("the planned note heard", lambda: pitch in [m.note for m in stage.ai_note_ons(seen_at)])

    browser.find_element("css selector", '#controls button[data-action="next"]').click()
    wait_until(browser, shows("ending"))
    wanted = ["opening", "middle", "ending"]
    wait_for("the sections in the take", lambda: [e["name"] for e in stage.events("section")] == wanted)

    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        open_page(browser, page_url(stage))
        wait_until(browser, shows("ending"))
        mine = browser.execute_script("return [window.stage.view.section, window.stage.view.running_order]")
        browser.switch_to.window(first)
        theirs = browser.execute_script("return [window.stage.view.section, window.stage.view.running_order]")
        assert mine == theirs
    finally:
        browser.switch_to.window(browser.window_handles[-1])
        if browser.current_window_handle != first:
            browser.close()
        browser.switch_to.window(first)
    assert stage.interrupt() == 0


def _a_plan_note_ahead(driver: Any) -> dict[str, Any] | None:
    """The page's view and drawing with a plan note at least 50 ms ahead of the drawing's now (None:
    none yet); the drawing runs its now on between frames, so it is the one to compare with."""
    read = driver.execute_script(READ_PLAN)
    ahead = [n for n in read["plan"] if n[0] - read["drawNow"] > 0.05]
    if not ahead or not read["drawn"]:
        return None
    return {**read, "note": ahead[0]}


def _sent_at(stage: Stage, onset: float, pitch: int) -> float | None:
    """The take's time of an AI note-on of `pitch` at `onset` (within 5 ms), if there is one yet."""
    for event in stage.events("ai"):
        status, note, velocity = event["bytes"]
        if status & 0xF0 == 0x90 and velocity and note == pitch and abs(event["t"] - onset) < 0.005:
            return float(event["t"])
    return None


def test_a_rejected_edit_and_an_osc_message_reach_the_page(browser: Any, stage: Stage, piece: Path) -> None:
    open_page(browser, page_url(stage))
    wait_until(browser, shows("opening"))
    piece.write_text(piece.read_text().replace("tempo: 120", "tempo: fast"))
    error = wait_until(
        browser, lambda d: d.execute_script("return document.getElementById('reload-error').textContent")
    )
    assert "stage.yaml:2" in error and "tempo" in error and "'fast' is not a number" in error
    assert browser.find_element("id", "reload").is_displayed()

    osc = SimpleUDPClient("127.0.0.1", osc_port(stage))
    osc.send_message("/conductor/next", 1)
    wait_until(browser, shows("middle"))
    osc.send_message("/scene/ending", [])
    osc.send_message("/not/mapped", "loud")  # logged and ignored: the show goes on
    wait_until(browser, shows("ending"))
    assert "/not/mapped is not mapped — ignored" in stage.log()
    assert stage.interrupt() == 0
