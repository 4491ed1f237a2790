"""The `remap_track_channel` step of optimise_midi: renumber channels and tracks compactly.

Channels are renumbered in order of first use (channels without notes last when empty channels
are removed), skipping 9, which stays the drum channel. Each (channel, original track) pair that
holds notes gets its own new track, numbered from 1; controller and patch events on a track
without notes of their channel move to the channel's first note track; tempo (and in v2 time
signature) events go to track 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conductor.backends.skytnt.tokenizer.collect import Collected
from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat


@dataclass
class Remapped:
    """The outcome of remapping, read by the later steps."""

    channels: list[int]  # new channel numbers, in order
    channel_map: dict[int, int]
    empty_channels: list[int]  # new numbers of channels without notes
    patch_channels: list[int] = field(default_factory=list)
    first_note_track: dict[int, int] = field(default_factory=dict)  # new channel -> first new track


def map_channels(col: Collected, remove_empty: bool) -> tuple[dict[int, int], list[int]]:
    """Old channel -> new channel, and the old channels without notes."""
    empty = [c for c in col.channels if c not in col.note_channels]
    channel_map = {9: 9} if 9 in col.channels else {}
    order = sorted(col.channels, key=lambda c: 1 if c in empty else 0) if remove_empty else col.channels
    count = 0
    for c in order:
        if c == 9:
            continue
        channel_map[c] = count
        count += 1
        if count == 9:
            count = 10
    return channel_map, empty


def number_tracks(col: Collected, channel_map: dict[int, int], empty: list[int], remove_empty: bool) -> None:
    """Give each (channel, track) pair that holds notes a new track number, from 1.

    Pairs of a channel without notes keep track 0 when empty channels are removed (upstream's
    second numbering loop can never number anything, so it is left out).
    """
    count = 0
    for c in sorted(channel_map, key=lambda old: channel_map[old]):
        if remove_empty and c in empty:
            continue
        tracks = col.note_tracks[c]
        for track_idx in col.track_maps[c]:
            if tracks and track_idx not in tracks:
                continue
            count += 1
            col.track_maps[c][track_idx] = count


def remap(col: Collected, events: list[Event], fmt: TokenFormat, remove_empty: bool) -> Remapped:
    """Renumber channels and tracks of `events` in place (key signatures excepted: see v2)."""
    channel_map, empty = map_channels(col, remove_empty)
    number_tracks(col, channel_map, empty, remove_empty)
    out = Remapped(list(channel_map.values()), channel_map, [channel_map[c] for c in empty])
    ch = fmt.index("note", "channel")
    for ev in events:
        name, track_idx = ev[0], ev[3]
        if name == "note":
            c = ev[ch]
            ev[ch] = channel_map[c]
            ev[3] = col.track_maps[c][track_idx]
            out.first_note_track.setdefault(ev[ch], ev[3])
        elif name in fmt.meta_on_track0:
            ev[3] = 0
        elif name in ("control_change", "patch_change"):
            _move_channel_event(ev, col, channel_map, out)
    return out


def _move_channel_event(ev: Event, col: Collected, channel_map: dict[int, int], out: Remapped) -> None:
    c, track_idx = ev[4], ev[3]
    ev[4] = channel_map[c]
    tracks = col.note_tracks[c]
    if tracks and track_idx not in tracks:
        track_idx = tracks[0]
    ev[3] = col.track_maps[c][track_idx]
    if ev[0] == "patch_change" and ev[4] not in out.patch_channels:
        out.patch_channels.append(ev[4])


def remapped_track_channels(col: Collected, channel_map: dict[int, int]) -> dict[int, list[int]]:
    """New track -> new channels on it (every pair, also the unnumbered track 0)."""
    result: dict[int, list[int]] = {}
    for c, tr_map in col.track_maps.items():
        if c not in channel_map:
            continue
        for new_track in tr_map.values():
            channels = result.setdefault(new_track, [])
            if channel_map[c] not in channels:
                channels.append(channel_map[c])
    return result
