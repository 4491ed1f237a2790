"""OSC over real UDP on localhost: mapped presses and faders arrive; wrong types, unknown addresses,
garbage and floods are logged and ignored, and the receiver goes on. The state sender and learn."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from conductor.stage.osc_in import OscReceiver
from conductor.stage.osc_learn import OscLearner, OscListener, next_lines, osc_mapping_line
from conductor.stage.osc_map import OscAction, OscMap, OscParam, parse_datagram
from conductor.stage.osc_out import OscStateSender
from conductor.stage.view import StageError, ViewBox
from tests.stage.scripted import RecordingCommands, view_at

MAPPING = OscMap(
    actions=(
        OscAction("/conductor/next", "next"),
        OscAction("/conductor/panic", "panic"),
        OscAction("/conductor/goto", "goto"),
        OscAction("/pad/coda", "goto", "coda"),
    ),
    params=(OscParam("/fader/1", "temperature", 0.8, 1.3),),
)


@pytest.fixture
def osc() -> Iterator[tuple[OscReceiver, RecordingCommands, SimpleUDPClient]]:
    commands = RecordingCommands()
    receiver = OscReceiver(MAPPING, commands, "127.0.0.1", 0)
    _, port = receiver.start()
    try:
        yield receiver, commands, SimpleUDPClient("127.0.0.1", port)
    finally:
        receiver.stop()


def pressed(*expected: tuple[str, str | None]) -> Any:
    return lambda c: c.presses[: len(expected)] == list(expected)


def test_mapped_presses_and_faders_arrive(
    osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient],
) -> None:
    _, commands, client = osc
    client.send_message("/conductor/next", [])
    client.send_message("/conductor/goto", "solo")
    client.send_message("/pad/coda", 1.0)
    client.send_message("/pad/coda", 0.0)  # the button's release: nothing
    client.send_message("/fader/1", 0.5)
    client.send_message("/conductor/panic", 1)
    assert commands.wait_for(pressed(("next", None), ("goto", "solo"), ("goto", "coda"), ("panic", None)))
    assert commands.wait_for(lambda c: c.params == [("temperature", pytest.approx(1.05))])
    assert len(commands.presses) == 4


def test_a_fader_sweep_ends_on_its_last_value(
    osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient],
) -> None:
    receiver, commands, client = osc
    for i in range(201):
        client.send_message("/fader/1", i / 200)
    assert commands.wait_for(lambda c: c.params and c.params[-1] == ("temperature", pytest.approx(1.3)))
    assert len(commands.params) <= 201 and receiver.counts["params"] == len(commands.params)


def test_bad_messages_are_logged_and_ignored(
    osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient], caplog: pytest.LogCaptureFixture
) -> None:
    receiver, commands, client = osc
    with caplog.at_level(logging.WARNING, "conductor.stage.osc"):
        client.send_message("/fader/1", "loud")
        client.send_message("/conductor/next", ["a", 3])
        client.send_message("/conductor/goto", 2)
        client.send_message("/lights/strobe", 1.0)
        client._sock.sendto(b"\x00garbage that is not OSC", ("127.0.0.1", receiver.port))
        client.send_message("/conductor/next", [])  # still listening
        assert commands.wait_for(pressed(("next", None)))
    text = caplog.text
    assert (
        "/fader/1 from 127.0.0.1:" in text
        and "takes one number 0..1 (a fader's position); got ('loud': string)" in text
    )
    assert "/conductor/next from" in text and "takes no argument or one number" in text
    assert "/conductor/goto from" in text and "takes one string, the section's name" in text
    assert "/lights/strobe is not mapped — ignored (`conductor learn --osc` prints a mapping line" in text
    assert "not an OSC message or bundle" in text
    assert commands.presses == [("next", None)] and commands.params == []
    assert receiver.counts["ignored"] == 5


def test_a_fader_beyond_0_1_is_clamped_and_said_so(
    osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient], caplog: pytest.LogCaptureFixture
) -> None:
    _, commands, client = osc
    with caplog.at_level(logging.WARNING, "conductor.stage.osc"):
        client.send_message("/fader/1", 127)
        assert commands.wait_for(lambda c: c.params == [("temperature", pytest.approx(1.3))])
    assert "a value outside 0..1 was clamped (set the control's range to 0..1)" in caplog.text


def test_a_bundle_delivers_each_message(osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient]) -> None:
    _, commands, client = osc
    bundle = OscBundleBuilder(IMMEDIATELY)
    for address in ("/conductor/next", "/conductor/panic"):
        bundle.add_content(OscMessageBuilder(address).build())
    client.send(bundle.build())
    assert commands.wait_for(pressed(("next", None), ("panic", None)))


def test_a_flood_is_cut_down_and_the_show_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    commands = RecordingCommands()
    receiver = OscReceiver(MAPPING, commands, "127.0.0.1", 0, rate=50.0, action_rate=5.0)
    _, port = receiver.start()
    client = SimpleUDPClient("127.0.0.1", port)
    try:
        with caplog.at_level(logging.WARNING, "conductor.stage.osc"):
            for _ in range(3000):
                client.send_message("/conductor/next", [])
            for i in range(3000):
                client.send_message("/fader/1", (i % 100) / 100)
            assert commands.wait_for(lambda c: len(c.presses) > 0)
            flooded = len(commands.presses)
            for _ in range(100):  # pressed again until taken, as a performer would, once the flood passed
                client.send_message("/conductor/panic", [])
                if commands.wait_for(lambda c: ("panic", None) in c.presses, timeout=0.2):
                    break
    finally:
        receiver.stop()
    assert ("panic", None) in commands.presses
    assert "OSC flood from 127.0.0.1:" in caplog.text and "the excess is ignored" in caplog.text
    assert flooded < 300  # of 3000: the rest were dropped unparsed or over the press limit
    assert receiver.counts["ignored"] > 0


def test_only_allowed_senders_are_obeyed(caplog: pytest.LogCaptureFixture) -> None:
    commands = RecordingCommands()
    receiver = OscReceiver(MAPPING, commands, "127.0.0.1", 0, allowed=["127.0.0.2"])
    _, port = receiver.start()
    try:
        with caplog.at_level(logging.WARNING, "conductor.stage.osc"):
            SimpleUDPClient("127.0.0.1", port).send_message("/conductor/panic", [])
            assert _logged(caplog, "not an allowed sender")
    finally:
        receiver.stop()
    assert commands.presses == []


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    import time

    end = time.monotonic() + 15.0  # a failure guard
    while time.monotonic() < end:
        if text in caplog.text:
            return True
        time.sleep(0.01)
    return False


def test_a_failing_sink_is_logged_and_the_receiver_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    commands = RecordingCommands()
    calls: list[str] = []

    def broken(action: str, target: str | None = None) -> None:
        calls.append(action)
        raise RuntimeError("inbox closed")

    commands.press = broken  # type: ignore[method-assign]
    receiver = OscReceiver(MAPPING, commands, "127.0.0.1", 0)
    _, port = receiver.start()
    try:
        with caplog.at_level(logging.WARNING, "conductor.stage.osc"):
            client = SimpleUDPClient("127.0.0.1", port)
            client.send_message("/conductor/panic", [])
            client.send_message("/fader/1", 0.0)
            assert commands.wait_for(lambda c: c.params == [("temperature", 0.8)])
    finally:
        receiver.stop()
    assert calls == ["panic"] and "press('panic', None) failed: RuntimeError('inbox closed')" in caplog.text


def test_a_port_in_use_is_a_clear_error(osc: tuple[OscReceiver, RecordingCommands, SimpleUDPClient]) -> None:
    receiver, _, _ = osc
    with pytest.raises(StageError, match=rf"cannot receive OSC on 127.0.0.1:{receiver.port}: .*in use"):
        OscReceiver(MAPPING, RecordingCommands(), "127.0.0.1", receiver.port).start()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: OscAction("conductor/next", "next"), "an OSC address starts with '/'"),
        (lambda: OscAction("/fader/*", "next"), "may not contain '*'"),
        (lambda: OscAction("/x", "explode"), "/x: action must be one of next"),
        (
            lambda: OscMap(actions=(OscAction("/x", "next"),), params=(OscParam("/x", "top_p", 0, 1),)),
            "/x is mapped twice",
        ),
        (lambda: OscParam("/f", "density", float("nan"), 1.0), "the range of density must be two numbers"),
    ],
)
def test_mappings_are_checked(make: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("*", r"\*")):
        make()


def test_garbage_never_raises_anything_but_value_error() -> None:
    import random

    rng = random.Random(7)
    good = OscMessageBuilder("/fader/1").build().dgram
    for _ in range(2000):
        data = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(ValueError):
            parse_datagram(bytes(data[: rng.randrange(len(data) + 1)]))


def test_the_state_goes_out_when_it_changes() -> None:
    box = ViewBox(view_at(40.0))
    with OscListener("127.0.0.1", 0) as listener:
        sender = OscStateSender(box, "127.0.0.1", listener.port)
        assert sender.send_changes() == 6
        first = dict(_receive(listener, 6))
        assert first == {
            "/conductor/section": ("fours", 2, "trading"),
            "/conductor/next": ("comping",),
            "/conductor/key": ("G major",),
            "/conductor/ai": ("playing",),
            "/conductor/bars_left": (16,),
            "/conductor/tempo": (96.0,),
        }
        box.set(view_at(40.0, key="E minor"))
        assert sender.send_changes() == 1
        assert _receive(listener, 1) == [("/conductor/key", ("E minor",))]
        end = {"time_left_s": None, "bars_left": None, "current": None, "section": "(end)"}
        box.set(replace(view_at(40.0, key="E minor"), ai_state="stopped", **end))  # type: ignore[arg-type]
        sender.start()  # its thread sends the rest
        later = dict(_receive(listener, 3))
        sender.stop()
    assert later == {
        "/conductor/section": ("(end)", -1, "trading"),
        "/conductor/ai": ("stopped",),
        "/conductor/bars_left": (-1,),
    }


def _receive(listener: OscListener, count: int) -> list[tuple[str, tuple[Any, ...]]]:
    got: list[tuple[str, tuple[Any, ...]]] = []
    while len(got) < count:
        batch = listener.receive(15.0)
        assert batch, "nothing arrived"
        got += batch
    return got


def test_an_unusable_destination_is_a_clear_error() -> None:
    with pytest.raises(
        StageError, match=r"cannot send OSC to 127\.0\.0\.1:70000: the port must be 1\.\.65535"
    ):
        OscStateSender(ViewBox(view_at(1.0)), "127.0.0.1", 70000)
    with pytest.raises(StageError, match=r"cannot send OSC to no such host\.invalid:9000: .* check the host"):
        OscStateSender(ViewBox(view_at(1.0)), "no such host.invalid", 9000)


def test_learn_prints_each_mapping_once() -> None:
    learner = OscLearner()
    assert learner.feed("/conductor/next", (1.0,)) == [
        "- {osc: /conductor/next, action: next}    # controls:"
    ]
    assert learner.feed("/conductor/next", (0.0,)) == []
    assert learner.feed("/conductor/next", ()) == []
    assert learner.feed("/fader/2", (0.25,)) == [
        "- {osc: /fader/2, action: next}    # controls:",
        "- {osc: /fader/2, param: temperature, range: [0.7, 1.3]}    # params:",
    ]
    assert learner.feed("/fader/2", (0.5,)) == []
    assert learner.feed("/knob", (1,)) and learner.feed("/knob", (0,)) == []
    assert learner.feed("/knob", (64,)) == [osc_mapping_line("/knob", (64,), continuous=True)]
    assert learner.feed("/set", ("solo",)) == [
        "- {osc: /set, action: goto}    # controls: the message's text names the section"
    ]


def test_learn_waits_for_the_next_address_over_udp() -> None:
    with OscListener("127.0.0.1", 0) as listener:
        client = SimpleUDPClient("127.0.0.1", listener.port)
        learner = OscLearner()
        client._sock.sendto(b"not osc", ("127.0.0.1", listener.port))
        client.send_message("/fader/3", 0.75)
        assert (
            next_lines(listener, learner, 15.0)[-1]
            == "- {osc: /fader/3, param: temperature, range: [0.7, 1.3]}    # params:"
        )
        client.send_message("/fader/3", 0.8)  # nothing new
        assert next_lines(listener, learner, 0.2) == []


def test_no_socket_is_left_open() -> None:
    receiver = OscReceiver(MAPPING, RecordingCommands(), "127.0.0.1", 0)
    _, port = receiver.start()
    receiver.stop()
    receiver.stop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind(("127.0.0.1", port))
