"""What an answer is made of: the context up to the turn boundary, the turn just heard, the human's key.

In trading and duet the AI answers what was just played, so its context ends where its answer
begins: at the turn boundary (the trigger's start; never later than now), notes still held cut at
the boundary, nothing after it. Both modes listen to both parts by default (the human's and the
AI's own, each on its own channel as the backend numbers them). Other modes keep the listening
window as it is (ending now).

The *turn* is the material of the answer (`GenerationRequest.turn`, the strategies of
`conductor.backends.answers`): the human's notes of the last turn in trading, of the last
`PHRASE_BARS` bars elsewhere (both before the trigger's start). The *human key* frames a role
model's context (`request.key`): the section's fixed key when its key filter names one, else the
key tracker's.

Pure: it only reads the memory. O(window) work, on the engine thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from conductor.core.events import Note, Source
from conductor.core.keys import Key
from conductor.core.timebase import Timebase
from conductor.engine.cadence import Trigger
from conductor.engine.memory import Memory
from conductor.piece.compiled import AtTurns, FixedKey, KeyFilter, Section
from conductor.piece.names import Mode

ANSWERING = frozenset({Mode.TRADING, Mode.DUET})  # modes whose context ends at the turn boundary
PHRASE_BARS = 2.0  # the phrase an answer outside trading answers: as `conductor evaluate` pairs it
_EPS = 1e-9


def listening(
    section: Section, memory: Memory, held: Sequence[Note], now: float, trigger: Trigger, tb: Timebase
) -> tuple[Note, ...]:
    """The context of a generation of `section` triggered by `trigger` at `now` (module docstring)."""
    listen = section.listen
    if section.mode not in ANSWERING:
        return memory.window(now, listen.window, listen.sources, tb, listen.max_events, held=held)
    boundary = min(now, trigger.start)
    heard = memory.window(boundary, listen.window, listen.sources, tb, listen.max_events, held=held)
    return tuple(_cut(n, boundary) for n in heard if n.onset < boundary - _EPS)


def _cut(note: Note, boundary: float) -> Note:
    return note if note.end <= boundary else note.with_(duration=boundary - note.onset)


def turn_heard(section: Section, context: Sequence[Note], trigger: Trigger, tb: Timebase) -> tuple[Note, ...]:
    """The human's notes the answer is made of: the last turn (trading), else the last phrase."""
    cadence = section.cadence
    bars = cadence.bars if isinstance(cadence, AtTurns) else PHRASE_BARS
    since = trigger.start - bars * tb.seconds_per_bar
    return tuple(n for n in context if n.source is Source.HUMAN and n.onset >= since - _EPS)


def human_key(section: Section, tracked: Key | None) -> Key | None:
    """The key the human plays in: the section's fixed key (a key filter naming one), else `tracked`."""
    for spec in section.filters:
        if isinstance(spec, KeyFilter) and isinstance(spec.key, FixedKey):
            return spec.key.key
    return tracked
