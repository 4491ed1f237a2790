"""Key signatures in the v2 tokenizer: remapping them to tracks, detecting and defaulting them.

v2 stores `sf + 7` (0..14) and `mi` (0 major, 1 minor). When a score has no key signature, or only
C major / A minor ones (sf 0), the key is guessed from the pitch-class histogram of the non-drum
notes; a found key is added (or written over those sf-0 signatures), otherwise those signatures
are removed. Drum-only tracks always get sf 0.
"""

from __future__ import annotations

from conductor.backends.skytnt.tokenizer.collect import Collected
from conductor.backends.skytnt.tokenizer.layout import Event
from conductor.backends.skytnt.tokenizer.remap import Remapped

SF_ZERO = 7  # the stored value of sf = 0


def detect_root(hist: list[int], threshold: float = 0.7) -> int | None:
    """Tonic pitch class (0 = C) of the major scale the histogram fits, or None.

    The seven most used pitch classes must hold at least `threshold` of the notes and form a
    diatonic set (exactly two semitone steps, a fourth or a fifth apart).
    """
    total = sum(hist)
    if len(hist) != 12 or total == 0:
        return None
    if sum(sorted(hist, reverse=True)[:7]) / total < threshold:
        return None
    ranked = sorted(zip(hist, range(12), strict=True), reverse=True, key=lambda pair: pair[0])
    scale = sorted(pc for _, pc in ranked[:7])
    steps = [scale[i] for i in range(7) if scale[i] - scale[i - 1] in (1, -11)]
    if len(steps) != 2:
        return None
    return {5: steps[0], 7: steps[1]}.get(steps[1] - steps[0])


def key_to_sf(key: int, minor: int) -> int:
    """Sharps (+) or flats (-) of the signature of tonic pitch class `key`."""
    sf = (key * 7) % 12
    if sf > 6 or (minor == 1 and sf >= 5):
        sf -= 12
    return sf


def remap_key_signatures(events: list[Event], col: Collected, out: Remapped) -> list[Event]:
    """Move each key signature to the new tracks of its original track (copies for extra ones).

    Returns the key signatures now in `events` (upstream's `key_sigs` after remapping).
    """
    key_sigs: list[Event] = []
    to_add: list[Event] = []
    to_remove: list[Event] = []
    for ev in events:
        if ev[0] != "key_signature":
            continue
        pairs = _new_pairs(ev[3], col, out.channel_map)
        if not pairs:
            if ev[3] == 0:  # a key signature of track 0 stays there
                key_sigs.append(ev)
            else:
                ev[3] = -1  # marks it, so removal below cannot take an equal event elsewhere
                to_remove.append(ev)
            continue
        copies = _place_on_tracks(ev, pairs)
        key_sigs += copies
        to_add += copies[1:]
    for ev in to_remove:
        events.remove(ev)
    events += to_add
    return key_sigs


def _place_on_tracks(ev: Event, pairs: list[tuple[int, int]]) -> list[Event]:
    """`ev` moved to the first (channel, new track) pair, copies for the others; sf 0 on drums.

    Copies are taken of `ev` after it was placed, so they inherit sf 0 when the first pair is drums
    (upstream).
    """
    placed: list[Event] = []
    for i, (channel, track) in enumerate(pairs):
        sig = ev if i == 0 else [*ev]
        sig[3] = track
        if channel == 9:
            sig[4] = SF_ZERO
        placed.append(sig)
    return placed


def _new_pairs(track_idx: int, col: Collected, channel_map: dict[int, int]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for c, tr_map in col.track_maps.items():
        new_track = tr_map.get(track_idx, 0)
        if new_track == 0:
            continue
        pair = (channel_map[c], new_track)
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def settle_key_signatures(
    events: list[Event],
    key_sigs: list[Event],
    col: Collected,
    track_channels: dict[int, list[int]],
    remapped: bool,
) -> None:
    """Detect a key when none (or only sf 0) is given; add, overwrite or remove signatures."""
    if key_sigs and any(sig[4] != SF_ZERO for sig in key_sigs):
        return
    root = detect_root(col.key_hist)
    if root is None:
        for sig in key_sigs:
            if sig in events:  # upstream raises ValueError here (see docs): we carry on
                events.remove(sig)  # by equality, as upstream
        return
    sf = key_to_sf(root, 0)
    if not key_sigs:
        for track, channels in track_channels.items():
            if remapped and track == 0:
                continue
            drums_only = channels == [9]
            events.append(["key_signature", 0, 0, track, (0 if drums_only else sf) + SF_ZERO, 0])
        return
    for sig in key_sigs:
        if track_channels.get(sig[3]) == [9]:
            continue
        sig[4] = sf + SF_ZERO
        sig[5] = 0
