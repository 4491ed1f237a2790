"""Hand-computed ids of the SkyTNT token layouts, shared by the tokenizer tests."""

from __future__ import annotations

# Id bases worked out by hand from the definition order (pad, bos, eos, events, parameters).
V1 = {"time1": 7, "time2": 135, "duration": 151, "track": 2199, "channel": 2327, "pitch": 2343}
V1 |= {"velocity": 2471, "patch": 2599, "controller": 2727, "value": 2855, "bpm": 2983}
V2 = {"time1": 9, "time2": 137, "duration": 153, "track": 2201, "channel": 2329, "pitch": 2345}
V2 |= {"velocity": 2473, "patch": 2601, "controller": 2729, "value": 2857, "bpm": 2985}
V2 |= {"nn": 3369, "dd": 3385, "sf": 3389, "mi": 3404}
BOS, EOS = [1, 0, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0]


def v1_note(t1: int, t2: int, track: int, dur: int, ch: int, pitch: int, vel: int) -> list[int]:
    b = V1
    return [3, b["time1"] + t1, b["time2"] + t2, b["track"] + track, b["duration"] + dur,
            b["channel"] + ch, b["pitch"] + pitch, b["velocity"] + vel]  # fmt: skip


def v2_note(t1: int, t2: int, track: int, ch: int, pitch: int, vel: int, dur: int) -> list[int]:
    b = V2
    return [3, b["time1"] + t1, b["time2"] + t2, b["track"] + track, b["channel"] + ch,
            b["pitch"] + pitch, b["velocity"] + vel, b["duration"] + dur]  # fmt: skip
