"""Ports over a real (private, dummy-driver) JACK server: virtual ports, name matching, health."""

from __future__ import annotations

import os
import queue

import mido
import pytest

from conductor.live.port_watch import PortLister
from conductor.live.ports import (
    ALSA_SEQ,
    FOOTSWITCH,
    VIRTUAL_IN,
    VIRTUAL_OUT,
    PortError,
    PortNotFound,
    enqueue_callback,
    explain,
    match_port,
    open_input,
    open_output,
    resolve_api,
)
from tests.live.conftest import kill_server
from tests.live.harness import wait_for


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
    inbox: queue.SimpleQueue[tuple[float, str, mido.Message]] = queue.SimpleQueue()
    out = open_output("jack", None, virtual=True)
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


@pytest.mark.jack
def test_conductors_own_ports_carry_its_name(jack_server: str) -> None:
    out = open_output("jack", None, virtual=True)
    inp = open_input("jack", None, lambda msg: None, virtual=True)
    pedal = open_input("jack", VIRTUAL_OUT, lambda msg: None, virtual=False, client=FOOTSWITCH)
    lister = PortLister("jack")
    try:
        names = lister.names()
        assert f"{VIRTUAL_OUT}:{VIRTUAL_OUT}" in names.inputs
        assert f"{VIRTUAL_IN}:{VIRTUAL_IN}" in names.outputs
        assert f"{FOOTSWITCH}:{FOOTSWITCH}" in names.outputs  # the pedal's own end, connected
        assert not [n for n in names.inputs + names.outputs if "RtMidi" in n]
    finally:
        for port in (pedal, inp, out):
            port.close()
        lister.close()


@pytest.mark.jack
def test_a_jack_server_that_dies_is_noticed_though_the_listing_goes_stale(jack_server: str) -> None:
    out = open_output("jack", None, virtual=True)
    lister = PortLister("jack")
    watched = tuple(n for n in lister.names().inputs if VIRTUAL_OUT in n)
    assert watched and lister.missing(watched) == [] and not lister.server_gone()
    assert kill_server() == 1
    wait_for("the watch to hear the server go", lister.server_gone, timeout=10)
    assert set(watched) <= set(lister.names().inputs)  # rtmidi still lists the old ports...
    assert lister.missing(watched) == list(watched)  # ...but the lister knows better
    out.send(mido.Message("note_on", note=60))  # and sending still "works": nothing raises
    lister.close()
    out.close()
