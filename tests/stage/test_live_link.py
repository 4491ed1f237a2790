"""The stage page and OSC wired into a performance, on a virtual clock: the page's and OSC's commands
reach the engine through the footswitch's debounce, stop confirmation and bar quantisation; the view
built on the engine thread shows the section, the plan ahead of now, the notes played and the live
parameters, reusing what did not change; the command line's addresses are checked."""

from __future__ import annotations

import argparse
import logging
import queue
import threading
from typing import Any

import mido
import pytest

from conductor.backends.scripted import ScriptedModel
from conductor.commands.perform import stage_options
from conductor.engine.clock import VirtualClock
from conductor.engine.engine import Engine
from conductor.engine.runner import InlineRunner
from conductor.engine.take_events import ParamSet, PressIgnored
from conductor.engine.timing import Latency
from conductor.live.perform import EngineOutput
from conductor.live.process_runner import WorkerHealth
from conductor.live.sender import Sender
from conductor.live.stage_link import (
    InboxCommands,
    RemoteParam,
    RemotePress,
    StageLink,
    StageOptions,
    apply_command,
    osc_map,
    remote_mapping,
)
from conductor.live.stage_view import LoopFacts, ViewBuilder
from conductor.piece import load_piece_text
from conductor.piece.compiled import OscTrigger, Piece
from conductor.rehearse.take import Take
from conductor.stage.osc_map import OscAction, OscParam
from conductor.stage.view import StageError

PIECE = """
title: Wired
tempo: 120
changes_on: bar
model: {kind: scripted, config: arpeggio}
controls:
  - {cc: 80, action: next, debounce: 200 ms}
  - {osc: /conductor/next, action: next, debounce: 300 ms}
  - {osc: /scene/coda, action: {goto: coda}}
  - {osc: /conductor/goto, action: goto}
params:
  - {cc: 11, param: density, range: [0.2, 1.0]}
  - {osc: /fader/1, param: temperature, range: [0.8, 1.3]}
sections:
  - {name: intro, mode: duet, length: footswitch, cadence: {every: 1 bars}}
  - {name: solo, mode: ai_solo, length: 8 bars}
  - {name: coda, mode: duet, length: footswitch}
"""


class RecordingPort:
    def __init__(self) -> None:
        self.sent: list[mido.Message] = []

    def send(self, msg: mido.Message) -> None:
        self.sent.append(msg)


def make(text: str = PIECE) -> tuple[VirtualClock, Engine, Take, Piece]:
    piece = load_piece_text(text)
    clock, take = VirtualClock(), Take()
    runner = InlineRunner(ScriptedModel(), clock, Latency(0.02, 0.002))
    return clock, Engine(piece, clock, runner, recorder=take, lead=0.1), take, piece


def step_to(clock: VirtualClock, engine: Engine, t: float) -> None:
    """Run the engine on to `t` in small steps, draining its output as the clock thread would."""
    now = clock.now()
    while now < t:
        now = min(t, now + 0.01)
        clock.advance_to(now)
        engine.step(now)
        engine.drain(now)


def test_a_page_press_lands_on_the_bar_as_the_footswitch_does() -> None:
    clock, engine, take, _ = make()
    step_to(clock, engine, 1.1)
    apply_command(engine, RemotePress("web", "next"), 1.1)
    step_to(clock, engine, 1.98)
    assert engine.section is not None and engine.section.name == "intro"  # not yet: the next bar
    step_to(clock, engine, 2.05)
    assert engine.section is not None and engine.section.name == "solo"
    assert [name for _, name in take.sections] == ["intro", "solo"]
    assert [t for t, name in take.sections][-1] == pytest.approx(2.0)


def test_page_and_osc_presses_are_debounced_like_the_pedal() -> None:
    clock, engine, take, _ = make()
    apply_command(engine, RemotePress("web", "next"), 0.5)
    apply_command(engine, RemotePress("web", "next"), 0.6)  # within the pedal's 200 ms: a bounce
    apply_command(engine, RemotePress("osc", "next"), 0.65)  # OSC has its own control (300 ms)
    apply_command(engine, RemotePress("osc", "next"), 0.9)  # a bounce of that one
    ignored = [e.why for _, e in take.of(PressIgnored)]
    assert ignored == ["debounce", "debounce"]
    step_to(clock, engine, 4.1)  # two presses counted before the bar: two sections on, as with the pedal
    assert take.sections == [(0.0, "intro"), (pytest.approx(2.0), "coda")]


def test_a_page_next_that_would_end_the_piece_waits_for_confirmation() -> None:
    clock, engine, _, _ = make()
    apply_command(engine, RemotePress("osc", "goto", "coda"), 0.1)
    step_to(clock, engine, 2.1)
    assert engine.section is not None and engine.section.name == "coda"
    apply_command(engine, RemotePress("web", "next"), 2.2)
    assert engine.controls.confirm_left(2.2) == pytest.approx(3.0)  # the pedal's default
    step_to(clock, engine, 4.1)
    assert not engine.stopped
    apply_command(engine, RemotePress("web", "next"), 4.2)
    step_to(clock, engine, 6.1)
    assert engine.stopped


def test_params_from_the_page_and_osc_reach_the_engine_and_the_take() -> None:
    _, engine, take, _ = make()
    apply_command(engine, RemoteParam("temperature", 1.2), 0.3)
    apply_command(engine, RemoteParam("density", 0.5), 0.4)
    assert engine.inputs.params.temperature == 1.2 and engine.inputs.params.density == 0.5
    assert [(e.name, e.value) for _, e in take.of(ParamSet)] == [("temperature", 1.2), ("density", 0.5)]


def test_an_osc_goto_to_a_missing_section_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    _, engine, _, _ = make()
    with caplog.at_level(logging.WARNING):
        apply_command(engine, RemotePress("osc", "goto", "encore"), 0.3)
    assert "goto 'encore': no such section (intro, solo, coda) — ignored" in caplog.text
    assert engine.nav.pending is None


def test_which_mapping_a_remote_press_fires() -> None:
    _, _, _, piece = make()
    osc = remote_mapping(piece, RemotePress("osc", "next"))
    assert osc.trigger == OscTrigger("/conductor/next") and osc.debounce == pytest.approx(0.3)
    page = remote_mapping(piece, RemotePress("web", "next"))
    assert page.trigger == OscTrigger("/stage/next") and page.debounce == pytest.approx(0.2)  # the pedal's
    assert remote_mapping(piece, RemotePress("osc", "goto", "coda")).trigger == OscTrigger("/scene/coda")
    sent = remote_mapping(piece, RemotePress("osc", "goto", "solo"))  # `/conductor/goto "solo"`
    assert sent.trigger == OscTrigger("/conductor/goto") and sent.target == "solo"
    assert remote_mapping(piece, RemotePress("web", "hold")).debounce == pytest.approx(0.15)  # default


def test_the_piece_osc_addresses_become_the_receivers_map() -> None:
    _, _, _, piece = make()
    mapping = osc_map(piece)
    assert mapping.actions == (
        OscAction("/conductor/next", "next"),
        OscAction("/scene/coda", "goto", "coda"),
        OscAction("/conductor/goto", "goto"),
    )
    assert mapping.params == (OscParam("/fader/1", "temperature", 0.8, 1.3),)


def test_inbox_commands_are_stamped_and_dropped_before_the_start() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    started = threading.Event()
    commands = InboxCommands(inbox.put, lambda: 7.5, started, "web")
    commands.press("next")
    assert inbox.empty()
    started.set()
    commands.press("goto", "coda")
    commands.set_param("temperature", 1.1)
    assert inbox.get_nowait() == (7.5, "stage", RemotePress("web", "goto", "coda"))
    assert inbox.get_nowait() == (7.5, "stage", RemoteParam("temperature", 1.1))


def test_the_view_shows_the_plan_ahead_of_now_and_what_was_played() -> None:
    clock, engine, _, _ = make()
    sender = Sender(EngineOutput(engine), RecordingPort(), clock)  # never started: only its figures
    builder = ViewBuilder("Wired", engine, sender)
    for pitch, t in ((60, 0.2), (64, 0.5)):
        engine.on_message(mido.Message("note_on", note=pitch, velocity=90), t)
        engine.on_message(mido.Message("note_off", note=pitch), t + 0.2)
    step_to(clock, engine, 3.1)
    view = builder.build(engine.status(), LoopFacts(WorkerHealth("ready", 42), take="t.jsonl"))
    assert view.section == "intro" and view.next_section == "solo" and view.current == 0
    assert view.time_left_s is None and view.ai_state in ("playing", "thinking", "waiting")
    assert [r.name for r in view.running_order] == ["intro", "solo", "coda"]
    assert view.running_order[1].length == "8 bars"
    assert [n.pitch for n in view.human] == [60, 64]
    assert view.plan and all(n.onset > view.now for n in view.plan)
    assert view.ai and all(n.onset <= view.now for n in view.ai)
    assert view.params[0].name == "density" and view.params[0].value == 1.0  # nobody set it: no change
    assert view.params[1][:2] == ("temperature", 1.0)  # the section's own
    assert view.worker.endswith("ready (pid 42)") and view.take == "t.jsonl" and view.tempo == 120.0
    again = builder.build(engine.status(), LoopFacts(WorkerHealth("ready", 42), take="t.jsonl"))
    assert again.running_order is view.running_order and again.params is view.params
    assert again.human is view.human  # unchanged: the same object (the server skips it)


def test_the_view_shows_a_waiting_stop_and_a_rejected_edit() -> None:
    clock, engine, _, _ = make()
    builder = ViewBuilder("Wired", engine, Sender(EngineOutput(engine), RecordingPort(), clock))
    facts = LoopFacts(WorkerHealth(), reload_error="piece.yaml:3:5: tempo: oops", notice="press next again")
    view = builder.build(engine.status(), facts)
    assert view.reload_error == "piece.yaml:3:5: tempo: oops" and view.notice == "press next again"


def _args(**given: Any) -> argparse.Namespace:
    base = {"web": None, "web_public": False, "osc": None, "osc_send": None}
    return argparse.Namespace(**{**base, **given})


def test_the_command_lines_addresses() -> None:
    options = stage_options(_args(web="", osc="9000", osc_send="10.0.0.5:9001"))
    assert options.web == ("127.0.0.1", 8765) and options.osc == ("127.0.0.1", 9000)
    assert options.osc_send == ("10.0.0.5", 9001) and not options.public
    assert stage_options(_args(web="0.0.0.0:8800", web_public=True)).public
    assert stage_options(_args()).web is None


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"web": "0.0.0.0:8800"}, "add --web-public"),
        ({"web_public": True}, "--web-public needs --web HOST:PORT"),
        ({"osc_send": "10.0.0.5"}, "needs a port"),
        ({"web": "127.0.0.1:http"}, "the port must be a number"),
    ],
)
def test_bad_addresses_say_what_to_change(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        stage_options(_args(**given))


def test_the_link_starts_what_the_options_and_the_piece_ask_for() -> None:
    _, _, _, piece = make()
    started = threading.Event()
    link = StageLink(piece, StageOptions(web=("127.0.0.1", 0), public=True, osc=("127.0.0.1", 0)),
                     queue.SimpleQueue().put, lambda: 0.0, started)  # fmt: skip
    try:
        lines = link.start()
        assert link.server is not None and link.receiver is not None and link.sender is None
        assert lines[0] == f"stage page: http://127.0.0.1:{link.server.port}/?token={link.server.token}"
        assert "only with this address and its token" in lines[1]
        assert lines[2] == f"OSC in: 127.0.0.1:{link.receiver.port} (4 mapped addresses)"
        taken = StageLink(
            piece, StageOptions(web=("127.0.0.1", link.server.port)), print, lambda: 0.0, started
        )
        with pytest.raises(StageError, match="choose another address or port"):
            taken.start()
    finally:
        link.stop()


def test_no_page_and_no_osc_unless_asked() -> None:
    piece = load_piece_text(PIECE.split("controls:")[0] + "sections:" + PIECE.split("sections:")[1])
    link = StageLink(piece, StageOptions(), print, lambda: 0.0, threading.Event())
    assert link.start() == [] and not link.active
