"""Keep the performer's notes out of the upstream quirks that silently drop notes.

`dropped_notes(score, tokenizer)` lists the score notes that give no token row. `safe_context_score`
returns a copy of a live context score, changed as little as possible so that every playable note
survives tokenizing: silent (velocity 0) and unplayable notes are removed, tracks are sorted by
time, notes are clipped below 128 beats, gaps of more than `max_gap_beats` are closed by moving the
*older* material later, the score is moved back to start in its first beat (`offset_ticks` says by
how much), same-pitch unisons are nudged a 16th apart, and (v1) notes of the opening chord that
share a duration get durations a 16th apart. See docs/skytnt-format.md for each quirk.
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from conductor.backends.skytnt.tokenizer.collect import MAX_TRACKS
from conductor.backends.skytnt.tokenizer.pipeline import Score, SkyTNTTokenizer, Trace

MAX_SIXTEENTHS = 2047  # longest duration a row can hold
MAX_ROUNDS = 32


@dataclass(frozen=True)
class SafeContext:
    """A context score that tokenizes without losing notes.

    `offset_ticks`: ticks subtracted from every event; add it to a generated event's tick to place
    it in the input score's time frame. `fixes`: one line per kind of change made (for the log).
    """

    score: Score
    offset_ticks: int
    fixes: tuple[str, ...]


def _q(ticks: int, tpb: int) -> int:
    return round(16 * ticks / tpb)


def _ticks_for(sixteenths: int, tpb: int) -> int:
    """Fewest ticks that quantise to `sixteenths` 16ths."""
    ticks = (sixteenths * tpb) // 16
    while _q(ticks, tpb) < sixteenths:
        ticks += 1
    return ticks


def dropped_notes(score: Score, tokenizer: SkyTNTTokenizer, **kwargs: Any) -> list[tuple[int, int]]:
    """(track, index) of each note of `score` that `tokenizer.tokenize(score, **kwargs)` drops.

    Each row is traced back to the score note it came from.
    """
    trace = Trace()
    tokenizer.tokenize_traced(copy.deepcopy(score), tokenizer.options(**kwargs), trace)
    kept = {trace.origins[id(e)][1] for e in trace.encoded if id(e) in trace.origins}
    tracks = enumerate(score[1 : MAX_TRACKS + 1])
    notes = [(ti, ei) for ti, track in tracks for ei, ev in enumerate(track) if ev[0] == "note"]
    return [where for where in notes if where not in kept]


def safe_context_score(score: Score, tokenizer: SkyTNTTokenizer, max_gap_beats: int = 64) -> SafeContext:
    """A copy of `score` that loses no playable note to the tokenizer (see the module doc)."""
    tpb = score[0]
    fixes: list[str] = []
    tracks = [_clean_track(track, tpb, fixes) for track in score[1 : MAX_TRACKS + 1]]
    offset = _close_gaps(tracks, tpb, max(1, min(max_gap_beats, 127)), fixes)
    out: Score = [tpb, *tracks]
    _nudge_unisons(tracks, tpb, fixes)
    for _ in range(MAX_ROUNDS):
        lost = dropped_notes(out, tokenizer)
        if not lost:
            break
        _repair(out, lost, tokenizer, fixes)
        _nudge_unisons(tracks, tpb, fixes)  # a repaired note may have landed on a same-pitch note
    else:
        fixes.append(f"{len(dropped_notes(out, tokenizer))} notes are still dropped")
    return SafeContext(out, offset, tuple(dict.fromkeys(fixes)))


def _clean_track(track: list[list[Any]], tpb: int, fixes: list[str]) -> list[list[Any]]:
    out: list[list[Any]] = []
    longest = _ticks_for(MAX_SIXTEENTHS, tpb)
    while _q(longest, tpb) > MAX_SIXTEENTHS:
        longest -= 1
    for ev in track:
        ev = list(ev)
        if ev[0] == "note":
            if ev[5] <= 0 or not (0 <= ev[3] <= 15 and 0 <= ev[4] <= 127):
                fixes.append("removed silent (velocity 0) or unplayable notes")
                continue
            if ev[5] > 127:
                ev[5] = 127
            if _q(ev[2], tpb) > MAX_SIXTEENTHS:
                ev[2] = longest
                fixes.append("clipped notes of 128+ beats")
        out.append(ev)
    out.sort(key=lambda e: e[1])
    return out


def _close_gaps(tracks: list[list[list[Any]]], tpb: int, max_gap: int, fixes: list[str]) -> int:
    """Move older material later so no gap between notes exceeds `max_gap` beats, then move all
    back so the first note is in beat 0. Other events move with the note before them (never past
    the next note). Returns the ticks removed from the front."""
    beats = sorted({_q(ev[1], tpb) // 16 for track in tracks for ev in track if ev[0] == "note"})
    if not beats:
        return 0
    shift = [0] * len(beats)  # whole beats each note beat moves later
    for i in range(len(beats) - 2, -1, -1):
        shift[i] = shift[i + 1] + max(0, beats[i + 1] - beats[i] - max_gap)
    if shift[0]:
        fixes.append(f"closed gaps longer than {max_gap} beats")
    front = beats[0] + shift[0]
    for track in tracks:
        for ev in track:
            i = max(0, bisect_right(beats, _q(ev[1], tpb) // 16) - 1)
            tick = ev[1] + (shift[i] - front) * tpb
            if i + 1 < len(beats):
                tick = min(tick, (beats[i + 1] + shift[i + 1] - front) * tpb)
            ev[1] = max(0, tick)
    return front * tpb


def _nudge_unisons(tracks: list[list[list[Any]]], tpb: int, fixes: list[str]) -> None:
    """Move a note that starts in the same 16th as an earlier same-pitch note of its track one
    16th later (keeping its end)."""
    for track in tracks:
        used: set[tuple[int, int, int]] = set()
        for ev in track:
            if ev[0] != "note":
                continue
            while (ev[3], ev[4], _q(ev[1], tpb)) in used:
                _shift_start(ev, tpb)
                fixes.append("moved same-pitch unisons a 16th apart")
            used.add((ev[3], ev[4], _q(ev[1], tpb)))
        track.sort(key=lambda e: e[1])


def _shift_start(ev: list[Any], tpb: int) -> None:
    end = ev[1] + ev[2]
    ev[1] = _ticks_for(_q(ev[1], tpb) + 1, tpb)
    ev[2] = max(1, end - ev[1])


def _repair(score: Score, lost: list[tuple[int, int]], tokenizer: SkyTNTTokenizer, fixes: list[str]) -> None:
    tpb = score[0]
    for ti, ei in lost:
        track = score[1 + ti]
        ev = track[ei]
        if tokenizer.version == "v1" and _change_duration(ev, track, tpb):
            fixes.append("gave the opening chord's notes distinct durations (v1)")
        else:
            _shift_start(ev, tpb)
            fixes.append("moved notes of the opening a 16th later")
    for track in score[1:]:
        track.sort(key=lambda e: e[1])


def _change_duration(ev: list[Any], track: list[list[Any]], tpb: int) -> bool:
    """Make the note's *sounding* duration in 16ths one longer, or (when the next same-pitch note
    cuts it) one shorter; False when neither is possible."""
    start, dur = _q(ev[1], tpb), max(1, _q(ev[2], tpb))
    later = [_q(e[1], tpb) for e in track if e[0] == "note" and e[3:5] == ev[3:5] and _q(e[1], tpb) > start]
    limit = min(later, default=MAX_SIXTEENTHS + start) - start
    if dur < limit:
        ev[2] = _ticks_for(dur + 1, tpb)
        return True
    if limit > 1:
        ev[2] = _ticks_for(limit - 1, tpb)
        return True
    return False
