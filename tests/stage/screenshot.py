"""Screenshots of the stage page for docs/: a real `StageServer` fed a realistic scripted view (trading
fours in pieces/mark_sat.yaml, the AI's answer half played, an edit rejected), drawn by headless
chromium.

    python tests/stage/screenshot.py            # writes docs/stage.png and docs/stage-tablet.png
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from conductor.stage.server import StageServer  # noqa: E402
from conductor.stage.view import ViewBox  # noqa: E402
from tests.stage.browser import chromium, chromium_missing, wait_until  # noqa: E402
from tests.stage.scripted import REJECTED, RecordingCommands, view_at  # noqa: E402

SHOTS = {"stage.png": (1600, 1000, False), "stage-tablet.png": (834, 1194, True)}  # CSS px; touch


def shoot(url: str, path: Path, width: int, height: int, mobile: bool) -> None:
    """Open `url` at width×height CSS pixels and save the whole page as `path`."""
    with chromium(width, height) as driver:
        metrics: dict[str, Any] = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.get(url)
        wait_until(driver, lambda d: d.execute_script("return window.stage.connected && !!window.stage.draw"))
        for _ in range(12):  # the piano roll's height follows the window's: grow until the page fits
            full = int(driver.execute_script("return document.documentElement.scrollHeight"))
            if full <= metrics["height"]:
                break
            metrics["height"] = full
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        wait_until(driver, lambda d: d.execute_script("return window.stage.draw.height > 0"))
        driver.save_screenshot(str(path))


def main() -> int:
    missing = chromium_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 1
    view = view_at(43.2, reload_error=REJECTED, notice="")
    server = StageServer(ViewBox(view), RecordingCommands(), "127.0.0.1", 0)
    server.start()
    try:
        for name, (width, height, mobile) in SHOTS.items():
            shoot(server.url, ROOT / "docs" / name, width, height, mobile)
            print(f"docs/{name}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
