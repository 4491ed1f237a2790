"""First pass of tokenizing: read a score's tracks into quantised, de-duplicated events.

Each score event becomes `[name, time1, time2, track, *params]` with its time quantised to 16ths
of a beat (`round`, Python's half-to-even). Events are kept in a dict keyed by what makes two
events "the same", so a later event with the same key replaces an earlier one in place. Notes of
the same channel and pitch on one track clip each other (the earlier note ends where the later one
starts); a note clipped to nothing is removed. Upstream behaviour, reproduced on purpose: see
docs/skytnt-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat

Key = tuple[Any, ...]
Origins = dict[int, tuple[Event, tuple[int, int]]]  # id(note event) -> (event, (track, index in track))
MAX_TRACKS = 128  # only the first 128 tracks of a score are read


@dataclass
class Collected:
    """What the first pass learned about the score, in upstream's order of discovery."""

    events: dict[Key, Event] = field(default_factory=dict)
    channels: list[int] = field(default_factory=list)  # channels in order of first use
    patch_channels: list[int] = field(default_factory=list)
    note_channels: set[int] = field(default_factory=set)  # channels that have notes
    first_note_track: dict[int, int] = field(default_factory=dict)  # channel -> first track with notes
    note_tracks: dict[int, list[int]] = field(default_factory=lambda: {c: [] for c in range(16)})
    track_maps: dict[int, dict[int, int]] = field(default_factory=lambda: {c: {} for c in range(16)})
    key_hist: list[int] = field(default_factory=lambda: [0] * 12)  # pitch classes of non-drum notes
    key_sigs: list[Event] = field(default_factory=list)
    track_channels: dict[int, list[int]] = field(default_factory=dict)  # track -> channels with notes
    origins: Origins = field(default_factory=dict)  # where each note event came from (diagnostics)


@dataclass
class _TrackState:
    """Per-track memory: last note per (channel, pitch), last patch, controller values, bpm."""

    last_notes: dict[tuple[int, int], tuple[Key, Event]] = field(default_factory=dict)
    patches: dict[int, int | None] = field(default_factory=dict)
    controls: dict[tuple[int, int], int] = field(default_factory=dict)
    last_bpm: int = 0
    channels: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    """The de-duplication thresholds of `tokenize` (upstream defaults: 4 and 4)."""

    cc_eps: int = 4
    tempo_eps: int = 4


def collect(score: list[Any], fmt: TokenFormat, th: Thresholds) -> Collected:
    """Run the first pass over the first 128 tracks of `score`."""
    tpb = score[0]
    col = Collected()
    for track_idx, track in enumerate(score[1 : MAX_TRACKS + 1]):
        state = _TrackState()
        col.track_channels.setdefault(track_idx, state.channels)
        for event_idx, event in enumerate(track):
            if event[0] in fmt.events:
                new = _collect_event(event, track_idx, tpb, fmt, col, state, th)
                if new is not None and new[0] == "note":
                    col.origins[id(new)] = (new, (track_idx, event_idx))
    return col


def _collect_event(
    event: list[Any],
    track_idx: int,
    tpb: int,
    fmt: TokenFormat,
    col: Collected,
    st: _TrackState,
    th: Thresholds,
) -> Event | None:
    name = event[0]
    t = round(16 * event[1] / tpb)
    head: Event = [name, t // 16, t % 16, track_idx]
    parsed = _PARSERS[name](event, head, tpb, fmt, col, st, th)
    if parsed is None:
        return None
    new, channel = parsed
    key = dedup_key(new, fmt)
    if channel != -1:
        if channel not in col.channels:
            col.channels.append(channel)
        col.track_maps[channel].setdefault(track_idx, 0)
    if name == "note":
        _clip_previous(new, key, t, fmt, col, st)
    col.events[key] = new
    return new


def dedup_key(ev: Event, fmt: TokenFormat) -> Key:
    """What makes two events the same: notes by time, track, channel and pitch (not velocity)."""
    if ev[0] == "note":
        return (*ev[:4], ev[fmt.index("note", "channel")], ev[fmt.index("note", "pitch")])
    if ev[0] in fmt.short_key_events:
        return tuple(ev[:-2])
    return tuple(ev[:-1])


def _clip_previous(new: Event, key: Key, t: int, fmt: TokenFormat, col: Collected, st: _TrackState) -> None:
    """End the previous same-pitch note of this track where `new` starts; drop it if that is 0."""
    cp = (new[fmt.index("note", "channel")], new[fmt.index("note", "pitch")])
    if cp in st.last_notes:
        last_key, last = st.last_notes[cp]
        d = fmt.index("note", "duration")
        last[d] = max(0, min(last[d], t - (last[1] * 16 + last[2])))
        if last[d] == 0:
            col.events.pop(last_key)
    st.last_notes[cp] = (key, new)


Parsed = tuple[Event, int] | None


def _note(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    dur, c, p, v = ev[2:6]
    if not 0 <= c <= 15:
        return None
    values = {"duration": max(1, round(16 * dur / tpb)), "channel": c, "pitch": p, "velocity": v}
    new = head + [values[name] for name in fmt.events["note"][3:]]
    col.note_channels.add(c)
    col.first_note_track.setdefault(c, head[3])
    if head[3] not in col.note_tracks[c]:
        col.note_tracks[c].append(head[3])
    if c != 9:
        col.key_hist[p % 12] += 1
    if c not in st.channels:
        st.channels.append(c)
    return new, c


def _patch(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    c, p = ev[2:4]
    if not 0 <= c <= 15 or st.patches.setdefault(c, None) == p:
        return None
    st.patches[c] = p
    if c not in col.patch_channels:
        col.patch_channels.append(c)
    return [*head, c, p], c


def _control(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    c, cc, v = ev[2:5]
    if not 0 <= c <= 15 or abs(st.controls.setdefault((c, cc), 0) - v) < th.cc_eps:
        return None
    st.controls[(c, cc)] = v
    return [*head, c, cc, v], c


def _tempo(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    tempo = ev[2]
    if tempo == 0:
        return None
    bpm = min(int(tempo_to_bpm(tempo)), fmt.bpm_cap)
    if abs(st.last_bpm - bpm) < th.tempo_eps:
        return None
    st.last_bpm = bpm
    return [*head, bpm], -1


def _time_sig(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    nn, dd = ev[2:4]  # dd is the power of two of the denominator, as stored in the file
    if not (1 <= nn <= 16 and 1 <= dd <= 4):
        return None
    return [*head, nn - 1, dd - 1], -1


def _key_sig(
    ev: list[Any], head: Event, tpb: int, fmt: TokenFormat, col: Collected, st: _TrackState, th: Thresholds
) -> Parsed:
    sf, mi = ev[2:4]
    if not (-7 <= sf <= 7 and 0 <= mi <= 1):
        return None
    new = [*head, sf + 7, mi]
    col.key_sigs.append(new)
    return new, -1


def tempo_to_bpm(tempo: int) -> float:
    """Beats per minute of a tempo in microseconds per beat (upstream's float arithmetic)."""
    return 60 / (tempo / 10**6)


def bpm_to_tempo(bpm: int) -> int:
    """Microseconds per beat of a bpm token; bpm 0 reads as 1 (upstream)."""
    return int((60 / (bpm or 1)) * 10**6)


_PARSERS = {
    "note": _note,
    "patch_change": _patch,
    "control_change": _control,
    "set_tempo": _tempo,
    "time_signature": _time_sig,
    "key_signature": _key_sig,
}
