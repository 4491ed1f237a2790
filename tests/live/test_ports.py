"""Ports over a real (private, dummy-driver) JACK server: virtual ports, name matching, health."""

from __future__ import annotations

import os
import queue

import mido
import pytest

from conductor.live.ports import (
    ALSA_SEQ,
    VIRTUAL_OUT,
    PortError,
    PortLister,
    PortNotFound,
    backend,
    enqueue_callback,
    explain,
    match_port,
    open_input,
    open_output,
    resolve_api,
)


def test_api_names() -> None:
    assert resolve_api("jack") == "UNIX_JACK"
    assert resolve_api("ALSA") == "LINUX_ALSA"
    with pytest.raises(PortError, match="unknown MIDI API 'midi2'"):
        resolve_api("midi2")


def test_api_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_MIDI_API", "jack")
    assert resolve_api(None) == "UNIX_JACK"


def test_no_match_lists_what_exists() -> None:
    with pytest.raises(PortNotFound) as err:
        match_port("Pianoteq", ("Keystation 49", "FS-1 pedal"), "output")
    assert str(err.value) == (
        "no MIDI output port matches 'Pianoteq'. Available output ports:\n  Keystation 49\n  FS-1 pedal"
    )
    assert match_port("fs-1", ("Keystation 49", "FS-1 pedal"), "input") == "FS-1 pedal"


@pytest.mark.jack
def test_virtual_output_reaches_an_input_opened_by_name(jack_server: str) -> None:
    be = backend("jack")
    inbox: queue.SimpleQueue[tuple[float, str, mido.Message]] = queue.SimpleQueue()
    out = open_output(be, None, virtual=True)
    inp = open_input("jack", VIRTUAL_OUT, enqueue_callback(inbox.put, lambda: 1.5, "input"), virtual=False)
    out.send(mido.Message("note_on", note=60, velocity=90))
    t, role, msg = inbox.get(timeout=10)
    assert (t, role, msg.type, msg.note, msg.velocity) == (1.5, "input", "note_on", 60, 90)
    lister = PortLister("jack")
    watched = tuple(n for n in lister.names().inputs if VIRTUAL_OUT in n)
    assert watched and lister.missing(watched) == [] and lister.missing((VIRTUAL_OUT,), substring=True) == []
    inp.close()
    out.close()
    assert lister.missing(watched) == list(watched)
    assert lister.missing((VIRTUAL_OUT,), substring=True) == [VIRTUAL_OUT]


@pytest.mark.jack
def test_opening_a_missing_port_names_the_alternatives(jack_server: str) -> None:
    with pytest.raises(PortNotFound, match="no MIDI input port matches 'Keystation'"):
        open_input("jack", "Keystation", lambda msg: None, virtual=False)


def test_without_alsa_the_error_says_to_use_jack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("conductor.live.ports.ALSA_SEQ", "/nonexistent/snd/seq")
    reason = SystemError("MidiInAlsa::initialize: error creating ALSA sequencer client object.")
    assert explain("cannot list MIDI ports", reason) == (
        "cannot list MIDI ports: MidiInAlsa::initialize: error creating ALSA sequencer client object."
        " — this machine has no ALSA MIDI (/nonexistent/snd/seq is missing): use --midi-api jack"
        " (or CONDUCTOR_MIDI_API=jack) with a running JACK server"
    )


def test_jack_without_a_server_says_to_start_one() -> None:
    reason = SystemError("MidiInJack::initialize: JACK server not running?")
    assert explain("cannot start MIDI input", reason).endswith(
        "JACK server not running? — start a JACK server first"
        " (e.g. `jackd -d dummy &`, or jackd with your sound card)"
    )


def test_the_ports_command_prints_the_hint_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from conductor.cli import main

    if os.path.exists(ALSA_SEQ):
        pytest.skip("this machine has ALSA MIDI")
    assert main(["ports", "--midi-api", "alsa"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "use --midi-api jack" in err[0]
