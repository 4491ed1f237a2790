"""The stage page in a real browser (headless Debian chromium) against a real `StageServer` fed scripted
views: what it shows, what its buttons and sliders send, the plan drawn ahead of now (read back from
the canvas), a restart survived, two pages alike, the token. Skipped without chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from conductor.stage.server import StageServer
from conductor.stage.view import ViewBox
from tests.stage.browser import chromium, chromium_missing, wait_until
from tests.stage.conftest import Stage
from tests.stage.scripted import REJECTED, RecordingCommands, view_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_until(driver, lambda d: d.execute_script("return window.stage && window.stage.connected"))


def text(driver: Any, element_id: str) -> str:
    return str(driver.execute_script(f"return document.getElementById('{element_id}').textContent"))


def shows(element_id: str, wanted: str) -> Any:
    return lambda d: text(d, element_id) == wanted


def click(driver: Any, css: str) -> None:
    driver.find_element("css selector", css).click()


def test_the_page_shows_the_section_and_follows_the_footswitch(browser: Any, stage: Stage) -> None:
    open_page(browser, stage.server.url)
    wait_until(browser, shows("section", "fours"))
    assert text(browser, "next") == "next: comping" and text(browser, "key") == "G major"
    assert text(browser, "left") == "16.0 bars · 40.0 s left"
    assert "ai-playing" in browser.find_element("id", "ai").get_attribute("class")
    assert browser.find_element("css selector", "#order-list li.current").text.startswith("fours")
    stage.box.set(view_at(82.0, section=3, ai_state="held"))  # the footswitch moved on
    wait_until(browser, shows("section", "comping"))
    assert browser.find_element("css selector", "#order-list li.current").text.startswith("comping")
    assert "on" in browser.find_element("id", "hold").get_attribute("class")


def test_buttons_and_sliders_reach_the_commands(browser: Any, stage: Stage) -> None:
    open_page(browser, stage.server.url)
    click(browser, '#controls button[data-action="next"]')
    click(browser, '#order-list button[data-goto="coda"]')
    click(browser, "#controls button.panic")
    assert stage.commands.wait_for(lambda c: c.presses == [("next", None), ("goto", "coda"), ("panic", None)])
    from selenium.webdriver.common.action_chains import ActionChains

    slider = browser.find_element("css selector", '.param[data-name="temperature"] input')
    ActionChains(browser).move_to_element_with_offset(
        slider, slider.size["width"] // 2 - 3, 0
    ).click().perform()
    assert stage.commands.wait_for(lambda c: bool(c.params))
    name, value = stage.commands.params[-1]
    assert name == "temperature" and 1.2 < value <= 1.3  # near the top of 0.8..1.3


def test_a_rejected_reload_appears_in_full(browser: Any, stage: Stage) -> None:
    open_page(browser, stage.server.url)
    assert not browser.find_element("id", "reload").is_displayed()
    stage.box.set(view_at(40.0, reload_error=REJECTED))
    wait_until(browser, shows("reload-error", REJECTED))
    assert browser.find_element("id", "reload").is_displayed()
    stage.box.set(view_at(40.0))  # the next good save
    wait_until(browser, lambda d: not d.find_element("id", "reload").is_displayed())


READ_ROLL = """
const draw = window.stage.draw, ratio = window.devicePixelRatio || 1;
const ctx = document.getElementById('roll').getContext('2d');
const pixel = (r) => Array.from(ctx.getImageData(Math.round((r.x + r.w / 2) * ratio),
                                                 Math.round((r.y + r.h / 2) * ratio), 1, 1).data);
const visible = (rects) => rects.filter((r) => r.x + r.w / 2 > 2 && r.x + r.w / 2 < draw.width - 2);
return {nowX: draw.nowX, now: draw.now, rects: draw.rects,
        colours: Object.fromEntries(Object.entries(draw.rects).map(([k, v]) => [k, visible(v).map(pixel)]))};
"""


DRAWN_PLAN = "return window.stage.draw && window.stage.draw.rects.plan.length"  # null before the first draw


def test_the_plan_is_drawn_ahead_of_now(browser: Any, stage: Stage) -> None:
    now = next(t / 10 for t in range(400, 600) if min(n.onset for n in view_at(t / 10).plan) - t / 10 > 0.3)
    view = view_at(now)
    stage.box.set(view)
    open_page(browser, stage.server.url)
    wait_until(browser, lambda d: d.execute_script("return window.stage.view.now") == now)
    wait_until(browser, lambda d: d.execute_script(DRAWN_PLAN) == len(view.plan))
    roll = browser.execute_script(READ_ROLL)
    assert roll["now"] >= now
    assert all(r["x"] > roll["nowX"] for r in roll["rects"]["plan"])  # ahead of the now line
    assert all(r["x"] < roll["nowX"] for r in roll["rects"]["ai"] + roll["rects"]["human"])
    assert roll["colours"]["plan"] and roll["colours"]["ai"] and roll["colours"]["human"]
    assert all(r > g + 30 and b > g + 30 for r, g, b, _ in roll["colours"]["plan"])  # violet
    assert all(r > b + 60 and g > b for r, g, b, _ in roll["colours"]["ai"])  # amber
    assert all(b > r + 40 for r, g, b, _ in roll["colours"]["human"])  # blue


def test_the_page_survives_a_restart(browser: Any, stage: Stage) -> None:
    open_page(browser, stage.server.url)
    port = stage.server.port
    stage.server.stop()
    wait_until(browser, lambda d: d.execute_script("return window.stage.connected") is False)
    assert text(browser, "link") == "reconnecting…"
    again = StageServer(ViewBox(view_at(190.0, section=5)), stage.commands, "127.0.0.1", port)
    again.start()
    try:
        wait_until(browser, shows("section", "coda"))
        assert text(browser, "link") == "live"
        click(browser, '#controls button[data-action="previous"]')
        assert stage.commands.wait_for(lambda c: c.presses == [("previous", None)])
    finally:
        again.stop()


def test_two_pages_see_the_same_state(browser: Any, stage: Stage) -> None:
    open_page(browser, stage.server.url)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        open_page(browser, stage.server.url)
        stage.box.set(replace(view_at(120.0, section=4), key="D dorian"))
        views = []
        for handle in (browser.current_window_handle, first):
            browser.switch_to.window(handle)
            wait_until(browser, lambda d: d.execute_script("return window.stage.view.key") == "D dorian")
            views.append(browser.execute_script("return window.stage.view"))
        assert views[0] == views[1] and views[0]["section"] == "ai_takes_it"
    finally:
        browser.switch_to.window(browser.window_handles[-1])
        browser.close()
        browser.switch_to.window(first)


def test_a_public_page_needs_its_token(browser: Any) -> None:
    commands = RecordingCommands()
    server = StageServer(ViewBox(view_at(40.0)), commands, "127.0.0.1", 0, public=True)
    server.start()
    try:
        browser.delete_all_cookies()
        browser.get(f"http://127.0.0.1:{server.port}/")
        assert (
            "needs the token printed on the performer's terminal"
            in browser.find_element("tag name", "body").text
        )
        open_page(browser, f"http://127.0.0.1:{server.port}/?token={server.token}")
        wait_until(browser, shows("section", "fours"))
        click(browser, '#controls button[data-action="regenerate"]')
        assert commands.wait_for(lambda c: c.presses == [("regenerate", None)])
    finally:
        server.stop()
