"""OSC in a piece: `controls:` and `params:` entries with `osc:` addresses and the `osc:` block, compiled;
each mistake reported with its line, key path and what was expected."""

from __future__ import annotations

import pytest

from conductor.piece import PieceError, PieceErrors, load_piece_text
from conductor.piece.compiled import Action, MidiTrigger, OscTrigger
from conductor.piece.names import Param
from conductor.piece.osc import OscParamMapping, OscSpec, split_host_port

HEAD = "title: t\ntempo: 96\nsections:\n  - {name: a, mode: duet, length: 8 bars}\n"  # lines 1-4


def errors_of(text: str) -> list[PieceError]:
    with pytest.raises(PieceErrors) as info:
        load_piece_text(text, "p.yaml")
    return info.value.errors


def test_osc_controls_params_and_block_compile() -> None:
    piece = load_piece_text(
        HEAD
        + "controls:\n  - {cc: 80, action: next}\n  - {osc: /conductor/next, action: next, debounce: 50 ms}\n"
        + "  - {osc: /scene/a, action: {goto: a}}\n"
        + "params:\n  - {osc: /fader/1, param: temperature, range: [0.8, 1.3]}\n"
        + "  - {cc: 11, param: density, range: [0.2, 1]}\n"
        + "osc: {port: 9000, host: 0.0.0.0, send_to: '192.168.1.20:9001'}\n"
    )
    triggers = [m.trigger for m in piece.actions]
    assert isinstance(triggers[0], MidiTrigger)
    assert triggers[1:] == [OscTrigger("/conductor/next"), OscTrigger("/scene/a")]
    assert piece.actions[1].debounce == pytest.approx(0.05) and piece.actions[2].action is Action.GOTO
    assert [p.cc for p in piece.params] == [11]  # the MIDI ones; the fader is in piece.osc
    assert piece.osc == OscSpec(
        "0.0.0.0", 9000, ("192.168.1.20", 9001), (OscParamMapping("/fader/1", Param.TEMPERATURE, 0.8, 1.3),)
    )


def test_a_bare_goto_takes_its_section_from_the_osc_message() -> None:
    piece = load_piece_text(HEAD + "controls:\n  - {osc: /conductor/goto, action: goto}\n")
    assert piece.actions[0].action is Action.GOTO and piece.actions[0].target is None


def test_a_piece_without_osc_has_none() -> None:
    assert load_piece_text(HEAD).osc == OscSpec()


TWICE = "controls:\n  - {osc: /a, action: next}\nparams:\n  - {osc: /a, param: top_p, range: [0.5, 1]}\n"
# (id, text after HEAD, line, key path, words in the message)
CASES = [
    ("no slash", "controls:\n  - {osc: next, action: next}\n", 6, "controls[0].osc", "starts with '/'"),
    ("pattern", "controls:\n  - {osc: '/a/*', action: next}\n", 6, "controls[0].osc", "may not contain '*'"),
    ("two triggers", "controls:\n  - {osc: /a, cc: 3, action: next}\n", 6, "controls[0]", "cc and osc"),
    ("channel", "controls:\n  - {osc: /a, channel: 2, action: next}\n", 6, "controls[0]", "MIDI control"),
    ("both", "params:\n  - {osc: /f, cc: 3, param: top_p, range: [1, 1]}\n", 6, "params[0]", "it has both"),
    ("range", "params:\n  - {osc: /f, param: top_p, range: [0.5, 2]}\n", 6, "params[0].range", "bounds"),
    ("twice", TWICE, 8, "params[0].osc", "osc /a is already mapped on line 6"),
    ("midi goto", "controls:\n  - {cc: 3, action: goto}\n", 6, "controls[0]", "goto names its section"),
    ("send_to", "osc: {send_to: lights}\n", 5, "osc.send_to", "is not HOST:PORT"),
    ("port", "osc: {port: 70000}\n", 5, "osc.port", "70000"),
    ("unknown key", "osc: {listen: 9000}\n", 5, "osc.listen", "unknown key 'listen'"),
]


@pytest.mark.parametrize(("text", "line", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_osc_mistakes_are_reported_where_they_are(text: str, line: int, path: str, words: str) -> None:
    errors = errors_of(HEAD + text)
    assert any(e.line == line and e.path == path and words in e.message for e in errors), errors


def test_host_and_port() -> None:
    assert split_host_port("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError, match="not HOST:PORT"):
        split_host_port("lights:0")
