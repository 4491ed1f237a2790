"""The stage display: what a performer reads at a glance, drawn with rich `Live`.

`StageInfo` is a frozen snapshot; `render(info)` is pure (tests render it to text). `StageDisplay`
refreshes a rich `Live` from a snapshot function on rich's own refresh thread, and while it runs the
log lines print above it through its console; with `--no-display` the performance logs to the
console instead.

Thread safety: the snapshot function runs on rich's refresh thread, so it may read only thread-safe
things: it only renders the latest `StageInfo`, a frozen snapshot the engine thread replaces whole.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

AI_STYLES = {"listening": "cyan", "generating": "yellow", "playing": "green", "silent": "dim"}
MAX_REJECTED_LINES = 12  # of a rejected edit's error text; the log and the take hold all of it


@dataclass(frozen=True, slots=True)
class StageInfo:
    """Everything the stage display shows."""

    piece: str
    section: str = "-"
    next_section: str = "-"
    left: str = ""  # "3.2 bars / 6.1 s left" or "footswitch"
    mode: str = "-"
    ai_state: str = "listening"
    key: str = "-"
    notes_in_per_s: float = 0.0
    notes_out_per_s: float = 0.0
    latency_ms: float | None = None  # trigger to first note
    worker: str = "starting"
    heard: str = ""  # lateness as the listener hears it: p99, worst, notes late, notes dropped
    heard_alarm: bool = False  # notes went out audibly late or were dropped as too late
    clock: str = ""  # the clock thread's own lateness
    reload: str = "-"
    reload_error: str = ""  # the whole text of a rejected edit, until the next good save
    confirm: str = ""  # e.g. "press next again to end" while a stop waits for its confirmation
    error: str = ""
    take: str = ""


def render(info: StageInfo) -> Panel:
    """The display for one snapshot."""
    big = Table.grid(padding=(0, 2))
    big.add_row(Text(info.section, style="bold white"), Text(f"→ {info.next_section}", style="bold"))
    big.add_row(Text(info.mode, style="magenta"), Text(info.left))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    latency = "-" if info.latency_ms is None else f"{info.latency_ms:.0f} ms"
    rows: list[tuple[str, Text]] = [
        ("AI", Text(info.ai_state, style=AI_STYLES.get(info.ai_state, "white"))),
        ("key", Text(info.key)),
        ("notes/s", Text(f"in {info.notes_in_per_s:.1f}   out {info.notes_out_per_s:.1f}")),
        ("first note", Text(latency)),
        ("model", Text(info.worker, style="red" if "dead" in info.worker else "")),
        ("heard", Text(info.heard, style="red" if info.heard_alarm else "")),
        ("clock", Text(info.clock, style="dim")),
        ("reload", Text(info.reload, style="red" if info.reload.startswith("rejected") else "")),
        ("take", Text(info.take, style="dim")),
    ]
    for name, value in rows:
        facts.add_row(name, value)
    parts: list[RenderableType] = [big]
    if info.confirm:
        parts.append(Text(info.confirm, style="bold black on yellow"))
    parts.append(facts)
    if info.reload_error:
        parts.append(Text(clip_lines(info.reload_error, MAX_REJECTED_LINES), style="red", overflow="fold"))
    if info.error:
        parts.append(Text(f"! {info.error}", style="bold red"))
    return Panel(Group(*parts), title=info.piece, border_style="blue")


def clip_lines(text: str, limit: int) -> str:
    """`text` cut to `limit` lines, saying how many more there are."""
    lines = text.strip().splitlines()
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join(
        [*lines[: limit - 1], f"… and {len(lines) - limit + 1} more lines (in the log and the take)"]
    )


def render_text(info: StageInfo, width: int = 80) -> str:
    """The display as plain text (tests, logs)."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(render(info))
    return console.export_text()


class StageDisplay:
    """A rich `Live` view refreshed from `snapshot()` four times a second. Start/stop from the main thread.

    While it runs, the root logger's console handlers print through the display's console, above the
    display: a handler keeps the stream it was given (the real stderr, from before `Live` redirected
    `sys.stderr`), and its lines were drawn over by the next refresh. `stop()` gives them back.
    """

    def __init__(self, snapshot: Callable[[], StageInfo], console: Console | None = None) -> None:
        self._snapshot = snapshot
        self._live = Live(
            get_renderable=lambda: render(self._snapshot()),
            console=console,
            refresh_per_second=4,
            transient=False,
            redirect_stderr=True,
        )
        self._swapped: list[tuple[logging.Handler, logging.Handler]] = []  # (original, through the console)

    def follow(self, snapshot: Callable[[], StageInfo]) -> None:
        """Show `snapshot()` from now on (the loading screen hands over to the engine loop's). Any thread:
        one reference assignment."""
        self._snapshot = snapshot

    def start(self) -> None:
        root = logging.getLogger()  # before `Live` replaces sys.stderr with its proxy
        for handler in list(root.handlers):
            if _writes_to_terminal(handler):
                through = ConsoleLogHandler(self._live.console, handler)
                root.addHandler(through)
                root.removeHandler(handler)
                self._swapped.append((handler, through))
        self._live.start(refresh=True)  # drawn at once: the first screen says what is loading

    def stop(self) -> None:
        root = logging.getLogger()
        for handler, through in self._swapped:
            root.addHandler(handler)
            root.removeHandler(through)
        self._swapped = []
        self._live.stop()


def _writes_to_terminal(handler: logging.Handler) -> bool:
    """A plain stream handler on stderr or stdout (not a file's)."""
    if not isinstance(handler, logging.StreamHandler) or isinstance(handler, logging.FileHandler):
        return False
    return any(handler.stream is s for s in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__))


class ConsoleLogHandler(logging.Handler):
    """Log records printed through a rich console (above a live display), formatted and filtered like
    the handler they stand in for. Thread-safe (the console locks); a terminal that has gone (a
    hang-up) silently drops the line: the take and the summary still hold what matters."""

    def __init__(self, console: Console, like: logging.Handler) -> None:
        super().__init__(like.level)
        self.setFormatter(like.formatter)
        for f in like.filters:
            self.addFilter(f)
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            self._console.print(Text(text), soft_wrap=True)  # Text: brackets in a message are not markup
        except (OSError, ValueError):
            pass  # the terminal is gone
        except Exception:
            self.handleError(record)
