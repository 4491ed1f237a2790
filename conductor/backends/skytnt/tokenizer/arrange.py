"""Last steps of tokenizing: sort events, gather the opening "setup", encode time steps.

Sorting is by (time1, time2, track, kind), so at one instant a lower track comes first, whatever the
kind. The opening "setup" is upstream's optimisation that gathers the events before (and at) the
first notes; it moves non-note events to time 0 and collapses events that share a setup key, which
can silently drop notes: see docs/skytnt-format.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conductor.backends.skytnt.tokenizer.collect import Origins
from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat, TokenLayout

SortKey = Callable[[Event], list[Any]]


def sort_key(fmt: TokenFormat) -> SortKey:
    """The order of events in a token stream: time1, time2, track, then the kind's rank."""
    rank = {name: i for i, name in enumerate(fmt.sort_order)}
    return lambda ev: [*ev[1:4], rank[ev[0]]]


def setup_key(ev: Event, fmt: TokenFormat) -> tuple[Any, ...]:
    """Key under which an opening event is kept; a later opening event with the same key wins.

    v1 notes: (track, duration, channel), so different pitches collide; v2 notes: (track, channel,
    pitch). Other events: their non-time fields but the last (or last two for v2 signatures).
    """
    if ev[0] == "note":
        fields = ("track", "duration", "channel") if fmt.version == "v1" else ("track", "channel", "pitch")
        return ("note", *(ev[fmt.index("note", f)] for f in fields))
    drop = 2 if ev[0] in fmt.short_key_events else 1
    return (ev[0], *ev[3:-drop])


def _same_instant(a: Event, b: Event) -> bool:
    # upstream compares time1 + time2, not time1 * 16 + time2: (1, 0) and (0, 1) are "the same"
    return bool(a[1] + a[2] == b[1] + b[2])


def gather_setup(
    events: list[Event], fmt: TokenFormat, key: SortKey, origins: Origins | None = None
) -> tuple[list[Event], int]:
    """Upstream's setup optimisation on sorted `events`.

    Returns the new event list and the index in the old list where the setup ended (-1 when the
    loop ran to the end, in which case the list is returned unchanged).
    """
    setup: dict[tuple[Any, ...], Event] = {}
    notes_in_setup = False
    for i, ev in enumerate(events):
        has_next = i < len(events) - 1 and _same_instant(ev, events[i + 1])
        has_pre = notes_in_setup and i > 0 and _same_instant(ev, events[i - 1])
        if (ev[0] == "note" and not has_next) or (notes_in_setup and not has_pre):
            return sorted(setup.values(), key=key) + events[i:], i
        copy = [*ev]
        if ev[0] not in fmt.timed_in_setup:
            copy[1] = copy[2] = 0
        notes_in_setup = notes_in_setup or ev[0] == "note"
        if origins is not None and id(ev) in origins:
            origins[id(copy)] = (copy, origins[id(ev)][1])
        setup[setup_key(ev, fmt)] = copy
    return events, -1


def encode(
    events: list[Event], layout: TokenLayout, empty_channels: list[int], remove_empty: bool
) -> tuple[list[list[int]], list[Event]]:
    """Token rows with time1 as the beat step from the last *encoded* event.

    An event whose row would be out of range (a step of 128+ beats, a 128+ beat note...) is
    skipped and the step is not advanced, so every later event is measured from the last encoded
    one: after a gap of 128+ beats everything is lost. Returns the rows and the encoded events.
    """
    rows: list[list[int]] = []
    kept: list[Event] = []
    last_t1 = 0
    for ev in events:
        if remove_empty and ev[0] in ("control_change", "patch_change") and ev[4] in empty_channels:
            continue
        step = [ev[0], ev[1] - last_t1, *ev[2:]]
        row = layout.event2tokens(step)
        if not row:
            continue
        rows.append(row)
        kept.append(ev)
        last_t1 = ev[1]
    return rows, kept
