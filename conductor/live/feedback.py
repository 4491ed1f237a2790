"""Feedback protection: the AI's own notes coming back on the input are not heard as the human's.

When the output is routed back to the input (a DAW's MIDI thru, a patch-bay loop), every AI note-on
and note-off would arrive again as if the human had played it. `FeedbackFilter` remembers what was
sent recently (type, channel, pitch) and swallows one matching input message per sent message within
`window_s`. It can also ignore the AI's channel on the input outright.

Thread safety: `sent` is called by the sender (clock) thread and `is_echo` by the engine thread;
`_lock` guards `_recent`. Both are realtime-safe: O(k) work on a short deque under a lock held for
microseconds, no allocation beyond one tuple.
"""

from __future__ import annotations

import threading
from collections import deque

import mido

NOTE_TYPES = ("note_on", "note_off")


def _key(msg: mido.Message) -> tuple[str, int, int] | None:
    """(on|off, channel, pitch) for note messages (a zero-velocity note-on is an off), else None."""
    if msg.type not in NOTE_TYPES:
        return None
    on = msg.type == "note_on" and msg.velocity > 0
    return ("on" if on else "off", msg.channel, msg.note)


class FeedbackFilter:
    """Matches input messages against recently sent AI messages by kind, channel, pitch and time."""

    def __init__(self, window_s: float = 0.25, ignore_channel: int | None = None, maxlen: int = 512) -> None:
        self.window_s = window_s
        self.ignore_channel = ignore_channel
        self._lock = threading.Lock()
        self._recent: deque[tuple[float, tuple[str, int, int]]] = deque(maxlen=maxlen)  # guarded by _lock
        self.dropped = 0  # echoes swallowed so far (engine thread writes, others may read)

    def sent(self, msg: mido.Message, t: float) -> None:
        """Remember an AI message sent at logical time `t`. Thread-safe, realtime-safe."""
        key = _key(msg)
        if key is not None:
            with self._lock:
                self._recent.append((t, key))

    def is_echo(self, msg: mido.Message, t: float) -> bool:
        """True if input `msg` received at `t` is the AI's own message coming back. Thread-safe."""
        if self.ignore_channel is not None and getattr(msg, "channel", None) == self.ignore_channel:
            self.dropped += 1
            return True
        key = _key(msg)
        if key is None:
            return False
        with self._lock:
            while self._recent and self._recent[0][0] < t - self.window_s:
                self._recent.popleft()
            for i, (sent_at, sent_key) in enumerate(self._recent):
                if sent_key == key and sent_at <= t + 0.001:
                    del self._recent[i]
                    self.dropped += 1
                    return True
        return False
