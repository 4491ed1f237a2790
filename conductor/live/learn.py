"""MIDI learn: turn the message a pedal, pad or knob sends into a ready-to-paste piece mapping.

`mapping_line(msg)` is pure. `Learner` remembers what it has already printed so a knob sweep prints
one line, not 127; a CC that sends several different values is a knob or expression pedal, and gets a
`params:` line as well as a `controls:` line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mido


def mapping_line(msg: mido.Message, *, continuous: bool = False) -> str | None:
    """The YAML line for `msg` (channel 1-based, as pieces write it), or None if it cannot map."""
    ch = f", channel: {msg.channel + 1}" if hasattr(msg, "channel") else ""
    if msg.type == "note_on" and msg.velocity > 0:
        return f"- {{note: {msg.note}{ch}, action: next}}    # controls:"
    if msg.type == "control_change" and continuous:
        return f"- {{cc: {msg.control}{ch}, param: temperature, range: [0.7, 1.3]}}    # params:"
    if msg.type == "control_change":
        return f"- {{cc: {msg.control}{ch}, action: next}}    # controls:"
    if msg.type == "program_change":
        return f"- {{program: {msg.program}{ch}, action: next}}    # controls:"
    return None


@dataclass
class Learner:
    """Feeds messages, returns the lines to print (each mapping once). Not thread-safe."""

    seen: set[str] = field(default_factory=set)
    cc_values: dict[tuple[int, int], set[int]] = field(default_factory=dict)

    def feed(self, msg: mido.Message) -> list[str]:
        """New mapping lines for `msg` (empty if nothing new)."""
        lines = [mapping_line(msg)]
        if msg.type == "control_change":
            values = self.cc_values.setdefault((msg.channel, msg.control), set())
            values.add(msg.value)
            if len(values) > 2:  # more than on/off: a knob or an expression pedal
                lines.append(mapping_line(msg, continuous=True))
        fresh = [line for line in lines if line is not None and line not in self.seen]
        self.seen.update(fresh)
        return fresh
