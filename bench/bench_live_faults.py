"""Live fault counts: `conductor perform --virtual` on a private JACK server, attacked as a hostile
stage would (issue 10). Not part of the test suite: run it by hand or with `make bench`.

Each scenario is a fresh performance of `tests/live/pieces/duet.yaml` (scripted model) with a
musician playing phrases all along, so the AI keeps answering; then one fault (bench/live_faults.py):
a stop signal (SIGINT, SIGTERM, SIGHUP from `kill` and from a closed terminal, SIGQUIT), the model
worker SIGKILLed once or twice mid-generation, a 20,000 msg/s input flood, the output port's peer
vanishing, 50 footswitch presses in 2 s, or an edit saved mid-performance (after which the AI must
still answer and the next good save must apply). Then Ctrl-C (or the scenario's own stop) and:

- traceback: "Traceback" anywhere in the performance's output;
- hang: not ended 60 s after the stop (then killed);
- data lost: the take's .jsonl missing, torn, or not ending with its `lateness` summary, or its .mid
  missing or unreadable;
- stuck: note-ons heard on `conductor out` without their note-off;
- clean: exit status as expected and none of the above, the AI still answering, hot reload alive.
The heard lateness's worst (from the take) shows what a fault did to the music's timing.

The performance runs under a 6 GiB address-space limit (inherited from this process), so a runaway
parse fails with MemoryError instead of taking the machine. JACK server name: `conductor-bench`.
"""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mido  # noqa: E402

from bench.jack import running_jack  # noqa: E402
from bench.live_faults import EDITS, footswitch_burst, input_flood, output_peer_lost, worker_killed  # noqa: E402
from tests.live.harness import PHRASE, Stage, Terminal, wait_for  # noqa: E402

PIECE = ROOT / "tests" / "live" / "pieces" / "duet.yaml"
SERVER = "conductor-bench"  # bench.jack.NAME, shared with bench_live.py
HANG_S = 60.0


class TakeTail:
    """The take's .jsonl read incrementally (a fault can make it large); complete lines only."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.offset, self.events = folder, 0, []  # type: ignore[var-annotated]
        self.torn = False

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        self.read()
        return [e for e in self.events if e.get("kind") == kind]

    def read(self) -> None:
        logs = sorted(self.folder.glob("*.jsonl"))
        if not logs:
            return
        with logs[-1].open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                self.torn = True
                continue
            if event.get("kind") not in ("human", "ai", "footswitch", "generation", "generation_end"):
                self.events.append(event)
        self.offset += end


class Show:
    """One performance under test, with a musician playing phrases in a thread."""

    def __init__(self, folder: Path, terminal: bool = False) -> None:
        self.piece = folder / "duet.yaml"
        shutil.copy(PIECE, self.piece)
        self.terminal = Terminal() if terminal else None
        self.stage = Stage(self.piece, folder / "takes", terminal=self.terminal)
        self.take = TakeTail(folder / "takes")
        self._playing = threading.Event()
        self._playing.set()
        self._player = threading.Thread(target=self._play, daemon=True)
        self._player.start()

    def _play(self) -> None:
        while self._playing.is_set() and self.stage.proc.poll() is None:
            self.stage.play(PHRASE, note_s=0.1)

    def stop_playing(self) -> None:
        self._playing.clear()
        self._player.join(timeout=5)

    def quietly(self, check: Callable[[], Any]) -> Any:
        """`check()`, or None if it timed out (an AssertionError from `wait_for`)."""
        try:
            return check()
        except AssertionError:
            return None

    def alive_note(self, timeout: float = 15.0) -> str:
        """'' if the AI answers after now, else a note."""
        since = time.monotonic()
        ok = self.quietly(lambda: wait_for("AI notes", lambda: self.stage.ai_note_ons(since), timeout))
        return "" if ok else "; AI silent afterwards"


@dataclass
class Outcome:
    name: str
    exit: int | None = None
    traceback: bool = False
    hang: bool = False
    data_lost: str = ""
    stuck: int = 0
    worst_ms: float | None = None
    late_notes: int | None = None
    note: str = ""
    expected_exit: tuple[int, ...] = (0,)

    @property
    def clean(self) -> bool:
        troubles = self.traceback or self.hang or self.data_lost or self.stuck
        return (
            not troubles
            and self.exit in self.expected_exit
            and "silent" not in self.note
            and "ignored" not in self.note
        )


def run(name: str, fault: Callable[[Show], str], stop: Callable[[Show], None] | None = None,
        terminal: bool = False, expected_exit: tuple[int, ...] = (0,)) -> Outcome:  # fmt: skip
    """One scenario in a fresh performance."""
    out = Outcome(name, expected_exit=expected_exit)
    folder = Path(tempfile.mkdtemp(prefix="conductor-faults-"))
    try:
        show = Show(folder, terminal)
    except AssertionError as exc:
        out.note = f"did not start: {str(exc)[:120]}"
        return out
    try:
        out.note = fault(show)
    except Exception as exc:
        out.note = f"scenario failed: {type(exc).__name__}: {str(exc)[:100]}"
    show.stop_playing()
    (stop or (lambda s: s.stage.proc.send_signal(signal.SIGINT)))(show)
    finish(show, out)
    if out.clean:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        (folder / "perform.log").write_text(show.stage.log())
        print(f"{name}: kept {folder} (perform.log, takes/)", file=sys.stderr)
    return out


def finish(show: Show, out: Outcome) -> None:
    """Wait for the end (or kill a hang) and judge the take and what was heard."""
    try:
        out.exit = show.stage.proc.wait(timeout=HANG_S)
    except subprocess.TimeoutExpired:
        out.hang = True
        show.stage.proc.kill()
        show.stage.proc.wait(timeout=10)
    show.quietly(lambda: wait_for("the last message", lambda: _last_is_all_off(show), timeout=5))
    log = show.stage.log()
    out.traceback = "Traceback" in log
    if out.traceback:
        out.note = "; ".join(n for n in (out.note, f"traceback: {last_error(log)}") if n)
    out.data_lost = judge_take(show)
    out.stuck = stuck_notes(sent_by_conductor(show))  # what conductor sent, from the take
    lost = stuck_notes([m for _, m in show.stage.heard]) - out.stuck
    if lost > 0:
        out.note = "; ".join(
            n for n in (out.note, f"{lost} note-offs sent but not heard (JACK dropped)") if n
        )
    summary = show.take.kinds("lateness")
    if summary:
        out.worst_ms, out.late_notes = summary[-1].get("max_ms"), summary[-1].get("late_notes")
    show.stage.close()


def _last_is_all_off(show: Show) -> bool:
    heard = show.stage.heard[-1:]
    return bool(heard) and heard[0][1].type == "control_change" and heard[0][1].control == 123


def stuck_notes(heard: list[mido.Message]) -> int:
    sounding: set[tuple[int, int]] = set()
    for m in heard:
        if m.type == "note_on" and m.velocity > 0:
            sounding.add((m.channel, m.note))
        elif m.type in ("note_on", "note_off"):
            sounding.discard((m.channel, m.note))
    return len(sounding)


def last_error(log: str) -> str:
    """The exception line that ends the first traceback in `log`."""
    lines = log[log.index("Traceback") :].splitlines()
    return next((line for line in lines[1:] if line and not line.startswith((" ", "Traceback"))), "?")[:120]


def sent_by_conductor(show: Show) -> list[mido.Message]:
    """The AI's messages as the take recorded them when they were sent (streamed: a take may be big)."""
    out = []
    for path in sorted(show.stage.takes.glob("*.jsonl"))[-1:]:
        with path.open("rb") as f:
            for line in f:
                if b'"kind": "ai"' in line:
                    try:
                        out.append(mido.Message.from_bytes(json.loads(line)["bytes"]))
                    except (ValueError, KeyError):
                        continue
    return out


def judge_take(show: Show) -> str:
    logs, mids = sorted(show.stage.takes.glob("*.jsonl")), sorted(show.stage.takes.glob("*.mid"))
    if not logs:
        return "no .jsonl"
    show.take.read()
    last = show.take.events[-1].get("kind") if show.take.events else None
    problems = ["torn .jsonl"] if show.take.torn else []
    if last != "lateness":
        problems.append(f".jsonl ends at {last!r}")
    try:
        mido.MidiFile(mids[-1]) if mids else problems.append("no .mid")
    except (OSError, ValueError, EOFError) as exc:
        problems.append(f".mid unreadable ({exc})")
    return ", ".join(problems)


def edit_scenario(name: str, apply: Callable[[Path, str], None]) -> Outcome:
    """An edit saved mid-performance: a reload result, the AI still answering, the next save applied."""

    def fault(show: Show) -> str:
        good = show.piece.read_text()
        wait_for("AI notes", show.stage.ai_note_ons, timeout=30)
        before = len(show.take.kinds("reload_rejected")) + len(show.take.kinds("reload_accepted"))
        apply(show.piece, good)
        result = show.quietly(lambda: wait_for("a reload result", lambda: len(show.take.kinds(
            "reload_rejected")) + len(show.take.kinds("reload_accepted")) > before, timeout=20))  # fmt: skip
        notes = [] if result else ["no reload result in 20 s"]
        notes.append(show.alive_note().lstrip("; "))
        (show.piece.with_name("next.tmp")).write_text(good.replace("title: Live test", "title: Next good"))
        (show.piece.with_name("next.tmp")).replace(show.piece)
        accepted = lambda: any(e.get("title") == "Next good" for e in show.take.kinds("reload_accepted"))  # noqa: E731
        applied = show.quietly(lambda: wait_for("the next good save", accepted, timeout=20))
        notes.append("" if applied else "next good save ignored")
        return "; ".join(n for n in notes if n)

    return run(f"edit: {name}", fault)


def _signal(signum: signal.Signals) -> Callable[[Show], None]:
    return lambda show: show.stage.proc.send_signal(signum)


def _hang_up(show: Show) -> None:
    assert show.terminal is not None
    show.terminal.hang_up()


SCENARIOS: list[tuple[str, Callable[[], Outcome]]] = [
    ("SIGINT (Ctrl-C)", lambda: run("SIGINT (Ctrl-C)", lambda show: show.alive_note().lstrip("; "))),
    ("SIGTERM", lambda: run("SIGTERM", lambda show: "", stop=_signal(signal.SIGTERM))),
    ("SIGHUP (kill -HUP)", lambda: run("SIGHUP (kill -HUP)", lambda show: "", stop=_signal(signal.SIGHUP))),
    ("SIGHUP (terminal closed)",
     lambda: run("SIGHUP (terminal closed)", lambda show: "", stop=_hang_up, terminal=True)),
    ("SIGQUIT", lambda: run("SIGQUIT", lambda show: "", stop=_signal(signal.SIGQUIT))),
    ("worker SIGKILL mid-generation", lambda: run("worker SIGKILL mid-generation", worker_killed)),
    ("worker SIGKILL twice in a row",
     lambda: run("worker SIGKILL twice in a row", lambda show: worker_killed(show, times=2))),
    ("20,000 msg/s input flood, 2 s", lambda: run("20,000 msg/s input flood, 2 s", input_flood)),
    ("output port's peer lost", lambda: run("output port's peer lost", output_peer_lost)),
    ("50 footswitch presses in 2 s", lambda: run("50 footswitch presses in 2 s", footswitch_burst)),
] + [
    (f"edit: {name}", lambda name=name, apply=apply: edit_scenario(name, apply))  # type: ignore[misc]
    for name, apply in EDITS.items()
]  # fmt: skip


HEADER = (
    "| fault | exit | clean | traceback | hang | data lost | stuck notes | heard worst ms (late) | notes |"
)


def table(rows: list[Outcome]) -> str:
    """The markdown table and the counts line."""
    lines = [HEADER, "|---|---:|:-:|:-:|:-:|---|---:|---:|---|"]
    for r in rows:
        worst = "-" if r.worst_ms is None else f"{r.worst_ms:.1f} ({r.late_notes})"
        marks = ["✓" if r.clean else "✗", "✗" if r.traceback else "", "✗" if r.hang else ""]
        lines.append(f"| {r.name} | {r.exit} | {' | '.join(marks)} | {r.data_lost} | {r.stuck or ''} | "
                     f"{worst} | {r.note} |")  # fmt: skip
    counts = {
        "clean": sum(r.clean for r in rows),
        "traceback": sum(r.traceback for r in rows),
        "hang": sum(r.hang for r in rows),
        "data lost": sum(bool(r.data_lost) for r in rows),
        "stuck notes": sum(bool(r.stuck) for r in rows),
    }
    lines.append(f"\ntried {len(rows)} / " + " / ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines)


def main() -> None:
    """Run every scenario (or those whose names contain an argument) and print the table."""
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    wanted = sys.argv[1:]
    rows = []
    with running_jack(SERVER):
        for name, scenario in SCENARIOS:
            if not wanted or any(w in name for w in wanted):
                rows.append(scenario())
                print(f"{name}: {'clean' if rows[-1].clean else 'NOT clean'}", file=sys.stderr, flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
