"""The stage's interface: the view box, note rows, frames, commands, access rules and rate limits."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from conductor.core.events import Note, Source
from conductor.piece.names import Action
from conductor.stage.access import is_loopback, parse_bind, refusal
from conductor.stage.commands import CommandError, Press, SetParam, parse_command
from conductor.stage.frames import FIELDS, FrameEncoder, frame_text, view_dict
from conductor.stage.limits import QuietLog, TokenBucket
from conductor.stage.view import ACTIONS, NoteRow, StageView, ViewBox, note_rows
from tests.stage.scripted import view_at


def test_actions_are_the_pieces_plus_goto() -> None:
    assert set(ACTIONS) == {a.value for a in Action} and "goto" in ACTIONS


def test_view_box_versions_each_set() -> None:
    box = ViewBox(StageView("a"))
    assert box.latest() == (0, StageView("a"))
    box.set(StageView("b"))
    box.set(StageView("c"))
    assert box.latest() == (2, StageView("c"))


def test_note_rows_keep_the_notes_sounding_in_the_window_in_onset_order() -> None:
    notes = [
        Note(5.0, 1.0, 64, 90, source=Source.AI),
        Note(0.5, 0.2, 60, 80),  # ended before the window
        Note(1.9, 0.5, 62, 70),  # still sounding at its start
        Note(9.0, 1.0, 65, 70),  # after it
    ]
    assert note_rows(notes, since=2.0, until=8.0) == (NoteRow(1.9, 0.5, 62, 70), NoteRow(5.0, 1.0, 64, 90))


def test_first_frame_has_every_field_then_only_what_changed() -> None:
    encoder, sent = FrameEncoder(), {}
    first = json.loads(frame_text(encoder.fragments(1, view_at(40.0)), sent, 0) or "")
    assert first["type"] == "view" and set(first["view"]) == set(FIELDS)
    later = view_at(40.0, key="E minor")
    second = json.loads(frame_text(encoder.fragments(2, later), sent, 1) or "")
    assert second == {"type": "view", "seq": 1, "view": {"key": "E minor"}}
    assert frame_text(encoder.fragments(2, later), sent, 2) is None


def test_unchanged_fields_are_not_encoded_again() -> None:
    encoder = FrameEncoder()
    view = view_at(40.0)
    before = encoder.fragments(1, view)
    after = encoder.fragments(2, replace(view, now=40.04))
    assert after["human"] is before["human"] and after["plan"] is before["plan"]
    assert after["now"] != before["now"]


def test_numbers_json_cannot_hold_are_sent_as_null() -> None:
    view = StageView("t", time_left_s=float("inf"), heard_worst_ms=float("nan"))
    shown = view_dict(view)
    assert shown["time_left_s"] is None and shown["heard_worst_ms"] is None


@pytest.mark.parametrize(
    ("data", "command"),
    [
        ({"type": "press", "action": "next"}, Press("next")),
        ({"type": "press", "action": "panic", "target": "x"}, Press("panic")),
        ({"type": "press", "action": "goto", "target": "coda"}, Press("goto", "coda")),
        ({"type": "param", "name": "density", "value": 0.5}, SetParam("density", 0.5)),
        ({"type": "param", "name": "temperature", "value": 1}, SetParam("temperature", 1.0)),
    ],
)
def test_commands_the_page_may_send(data: object, command: Press | SetParam) -> None:
    assert parse_command(data, view_at(40.0)) == command


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([], "a command is a JSON object"),
        ({"type": "shout"}, "command type must be"),
        ({"type": "press", "action": "explode"}, "action must be one of next, previous"),
        ({"type": "press", "action": "goto"}, "goto needs a section name"),
        ({"type": "press", "action": "goto", "target": "encore"}, "no section 'encore' in the running order"),
        ({"type": "param", "name": "volume", "value": 1}, "no live parameter 'volume' (this piece has: tem"),
        ({"type": "param", "name": "density", "value": "high"}, "density needs a number"),
        ({"type": "param", "name": "density", "value": True}, "density needs a number"),
        ({"type": "param", "name": "density", "value": 5}, "density must be within 0.3..1, got 5"),
    ],
)
def test_commands_refused_say_why(data: object, says: str) -> None:
    with pytest.raises(CommandError, match=says.replace("(", r"\(").replace(".", r"\.")):
        parse_command(data, view_at(40.0))


@pytest.mark.parametrize(
    ("text", "bind"),
    [
        ("8000", ("127.0.0.1", 8000)),
        (":8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:9", ("0.0.0.0", 9)),
        ("localhost", ("localhost", 8765)),
        ("[::1]:8001", ("::1", 8001)),
    ],
)
def test_bind_addresses(text: str, bind: tuple[str, int]) -> None:
    assert parse_bind(text, 8765) == bind


def test_a_bad_port_names_the_option_and_the_form() -> None:
    with pytest.raises(ValueError, match=r"--web 'host:99999': the port must be a number 0\.\.65535"):
        parse_bind("host:99999", 8765)


def test_loopback() -> None:
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.3.2.1", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "", "192.168.1.5", "stage.local", "::"]))


def _refusal(**kw: object) -> str | None:
    args: dict[str, object] = {
        "host_header": "127.0.0.1:8765",
        "origin": None,
        "loopback_bind": True,
        "token": None,
        "given": (),
    }
    args.update(kw)
    return refusal(**args)  # type: ignore[arg-type]


def test_the_access_rule() -> None:
    assert _refusal() is None
    assert _refusal(origin="http://127.0.0.1:8765") is None
    assert "may not use this stage" in (_refusal(origin="http://evil.example") or "")
    assert "may not use this stage" in (_refusal(origin="null") or "")
    assert "not this machine's loopback" in (_refusal(host_header="rebound.example:8765") or "")
    public = {"loopback_bind": False, "host_header": "192.168.1.5:8765", "token": "s3cret"}
    assert "needs the token" in (_refusal(**public) or "")
    assert "needs the token" in (_refusal(**public, given=(None, "wrong", None)) or "")
    assert _refusal(**public, given=(None, None, "s3cret")) is None


def test_token_bucket_lets_the_rate_through_after_a_burst() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.05) is False  # half a token
    assert bucket.take(0.1) is True
    assert sum(bucket.take(10.0) for _ in range(10)) == 3  # refilled to the burst, no more
    assert bucket.wait(10.0) == pytest.approx(0.1) and bucket.wait(10.05) == pytest.approx(0.05)
    assert bucket.wait(10.1) == 0.0 and bucket.take(10.1)


def test_quiet_log_says_the_first_then_sums_up(caplog: pytest.LogCaptureFixture) -> None:
    quiet = QuietLog(logging.getLogger("conductor.test.quiet"), period=1.0)
    with caplog.at_level(logging.WARNING, "conductor.test.quiet"):
        for i in range(50):
            quiet.warn("flood", f"flood {i}", 0.01 * i)
        quiet.warn("other", "something else", 0.6)
        quiet.flush(0.8)
        assert [r.getMessage() for r in caplog.records] == ["flood 0", "something else"]
        quiet.flush(1.2)
    assert caplog.records[-1].getMessage() == "flood 49 (and 48 more like it in the last 1.2 s)"
