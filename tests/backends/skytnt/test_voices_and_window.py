"""The AI's voices (channels numbered as v2o would), the open-ended onset window, observe mid-answer."""

from __future__ import annotations

import torch
from skytnt_tiny import note_rows, tiny_model

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.masks import EventMask, from_constraints
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.backends.skytnt.voices import voiced_score
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import SamplingSpec

TB = Timebase(120.0, 4, 4)


def test_time_masks_bound_the_start_and_only_a_closed_mask_the_end() -> None:
    mask = EventMask(window=(2 * 16 + 4, 3 * 16 + 8))  # beat 2, 16th 4 .. beat 3, 16th 8
    time1 = mask.allowed("time1", 0, 1, 128)
    assert time1 is not None and time1.nonzero().flatten().tolist() == [1, 2]
    opened = mask.opened().allowed("time1", 0, 1, 128)
    assert opened is not None and opened.nonzero().flatten().tolist() == list(range(1, 128))
    last_beat = mask.allowed("time2", 1, 2, 16)
    assert last_beat is not None and last_beat.nonzero().flatten().tolist() == list(range(9))
    assert mask.opened().allowed("time2", 1, 2, 16).nonzero().flatten().tolist() == list(range(16))  # type: ignore[union-attr]
    # in the last event's beat an onset never goes back before the last event's 16th
    same_beat = mask.allowed("time2", 0, 2, 16, last_step=7)
    assert same_beat is not None and same_beat.nonzero().flatten().tolist() == list(range(7, 16))
    assert mask.ends(3 * 16 + 9) and not mask.ends(3 * 16 + 8)


def test_an_onset_past_the_window_ends_the_generation_without_joining_the_sequence() -> None:
    torch.manual_seed(0)
    decoder = Decoder(tiny_model())
    context = [tuple(r) for r in note_rows(8)]
    decoder.prefill(context)
    lo = decoder.last_beat * 16 + 16
    mask = from_constraints(decoder.tokenizer, Constraints(), window=(lo, lo + 16))
    got = list(decoder.stream(None, mask, Sampling(1.0, 1.0, 0), make_generator(4), 50))
    assert 1 <= len(got) < 50  # the untrained model jumps past one beat long before 50 events
    assert decoder.rows == [*context, *got]  # the event that left the window was not appended
    beat, onsets = decoder.beats[len(context) - 1], []
    for row in got:
        beat += row[1] - decoder.tokenizer.parameter_ids["time1"][0]
        onsets.append(beat * 16 + row[2] - decoder.tokenizer.parameter_ids["time2"][0])
    assert all(lo <= o <= lo + 16 for o in onsets) and onsets == sorted(onsets)


def note(onset: float, pitch: int, channel: int, source: Source) -> Note:
    return Note(onset, 0.4, pitch, 80, channel, source)


def test_voices_are_numbered_in_order_of_first_use_and_the_ai_gets_its_own_parts() -> None:
    notes = [
        note(0.0, 72, 5, Source.AI),  # the AI played first: its part becomes channel 0
        note(0.5, 60, 3, Source.HUMAN),
        note(0.5, 38, 9, Source.HUMAN),  # drums keep 9
        note(1.0, 64, 0, Source.HUMAN),
    ]
    voiced = voiced_score(notes, 0.0, TB, 480)
    channels = [(e[4], e[3]) for e in voiced.score[1] if e[0] == "note"]
    assert channels == [(72, 0), (60, 1), (38, 9), (64, 2)]
    assert voiced.ai_channels == (0, 3, 4, 5)
    human_only = voiced_score(notes[1:2], 0.0, TB, 480)
    assert human_only.ai_channels == (1, 2, 3, 4)


def test_answers_come_on_the_request_channel_and_observe_mid_answer_keeps_its_rows() -> None:
    model = SkyTNTModel(tiny_model())
    context = tuple(note(0.25 * i, 60 + i % 7, 0, Source.HUMAN) for i in range(12))
    req = GenerationRequest(
        context=context, origin=0.0, start=4.0, until=12.0, timebase=TB, max_events=6,
        sampling=SamplingSpec(seed=3), constraints=Constraints(channels=frozenset({2})),
    )  # fmt: skip
    stream = model.generate(req)
    first = next(stream)
    rows = list(model.decoder.rows)
    model.observe([note(3.9, 67, 0, Source.HUMAN)])  # heard while the answer streams
    assert model.decoder.rows[: len(rows)] == rows  # not cut back to the context
    rest = list(stream)
    assert {n.channel for n in (first, *rest)} == {2}
    assert len(model.decoder.rows) == len(rows) + len(rest)
