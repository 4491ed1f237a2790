"""Feedback protection: the AI's own notes coming back on the input are not the human's."""

from __future__ import annotations

import mido

from conductor.live.feedback import FeedbackFilter


def on(pitch: int, channel: int = 0, velocity: int = 80) -> mido.Message:
    return mido.Message("note_on", note=pitch, channel=channel, velocity=velocity)


def test_an_echo_of_a_sent_note_is_swallowed_once() -> None:
    f = FeedbackFilter(window_s=0.25)
    f.sent(on(60), 1.0)
    assert f.is_echo(on(60), 1.003) is True
    assert f.is_echo(on(60), 1.010) is False  # the human playing the same pitch right after
    assert f.dropped == 1


def test_different_pitch_channel_or_kind_is_the_human() -> None:
    f = FeedbackFilter()
    f.sent(on(60), 1.0)
    assert f.is_echo(on(61), 1.0) is False
    assert f.is_echo(on(60, channel=1), 1.0) is False
    assert f.is_echo(mido.Message("note_off", note=60), 1.0) is False


def test_a_zero_velocity_note_on_echoes_a_note_off() -> None:
    f = FeedbackFilter()
    f.sent(mido.Message("note_off", note=60), 2.0)
    assert f.is_echo(on(60, velocity=0), 2.01) is True


def test_old_sends_expire() -> None:
    f = FeedbackFilter(window_s=0.25)
    f.sent(on(60), 1.0)
    assert f.is_echo(on(60), 1.5) is False


def test_the_ai_channel_can_be_ignored_outright() -> None:
    f = FeedbackFilter(ignore_channel=2)
    assert f.is_echo(on(64, channel=2), 0.0) is True
    assert f.is_echo(mido.Message("control_change", channel=2, control=1), 0.0) is True
    assert f.is_echo(on(64, channel=0), 0.0) is False
