"""Fast streaming generation: cache reuse, determinism, masks, streaming and cancel."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skytnt_tiny import note_rows, tiny_model

from conductor.backends.base import Constraints
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.masks import from_constraints
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.measure.skytnt_reference import reference_stream

SAMPLING = Sampling(temperature=1.0, top_p=0.98, top_k=20)


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder(tiny_model())


def decode(
    dec: Decoder, rows: list[list[int]] | None, n: int, seed: int = 3, **kw: object
) -> list[tuple[int, ...]]:
    mask = from_constraints(dec.tokenizer, Constraints(**kw))  # type: ignore[arg-type]
    return list(dec.stream(rows, mask, SAMPLING, make_generator(seed), n))


def test_cache_reuse_equals_full_recomputation(decoder: Decoder) -> None:
    context = note_rows(40)
    decoder.reset()
    decode(decoder, context[:25], 4)  # an earlier generation leaves its rows and cache behind
    assert decoder.prefill(context) == 16  # only the rows after the shared prefix are computed
    reused = decode(decoder, None, 8, seed=11)
    fresh = Decoder(tiny_model())
    assert decode(fresh, context, 8, seed=11) == reused


def test_prefill_counts_only_new_rows(decoder: Decoder) -> None:
    context = note_rows(30, seed=5)
    decoder.reset()
    assert decoder.prefill(context[:20]) == 20
    assert decoder.prefill(context[:20]) == 0
    assert decoder.prefill(context) == 11
    assert decoder.prefill(context[:10]) == 1  # shorter: recompute the last row for its hidden state
    assert decoder.prefill(note_rows(12, seed=6)) == 12  # differs after the shared BOS row


def test_fixed_seed_is_deterministic(decoder: Decoder) -> None:
    context = note_rows(10)
    first = decode(decoder, context, 6, seed=7)
    assert decode(decoder, context, 6, seed=7) == first
    assert len(first) == 6


def test_streaming_and_cancel_between_events(decoder: Decoder) -> None:
    context = note_rows(10)
    mask = from_constraints(decoder.tokenizer, Constraints())
    stream = decoder.stream(context, mask, SAMPLING, make_generator(1), 50)
    got = [next(stream), next(stream)]
    stream.close()
    assert decoder.rows[-2:] == got and len(decoder.rows) == 13
    assert decoder.cache.length == 12  # the last decoded row is not yet prefilled: nothing ran after yield
    again = decode(decoder, context, 3, seed=1)
    assert again[:2] == got


def test_onset_window_stops_when_nothing_fits(decoder: Decoder) -> None:
    context = note_rows(10)
    decoder.prefill(context)
    beat = decoder.last_beat
    mask = from_constraints(decoder.tokenizer, Constraints(), window=(0, beat * 16 - 1))
    assert list(decoder.stream(None, mask, SAMPLING, make_generator(0), 5)) == []


@settings(max_examples=25, deadline=None)
@given(
    channels=st.frozensets(st.integers(0, 15), min_size=1, max_size=3),
    low=st.integers(0, 120),
    width=st.integers(0, 40),
    pcs=st.none() | st.frozensets(st.integers(0, 11), min_size=1, max_size=7),
    start=st.integers(0, 64),
    span=st.integers(0, 64),
    seed=st.integers(0, 1000),
)
def test_masks_are_never_violated(
    decoder: Decoder,
    channels: frozenset[int],
    low: int,
    width: int,
    pcs: frozenset[int] | None,
    start: int,
    span: int,
    seed: int,
) -> None:
    tok = decoder.tokenizer
    constraints = Constraints(channels=channels, low=low, high=min(127, low + width), pitch_classes=pcs)
    context = note_rows(6, seed=seed)
    decoder.prefill(context)
    lo = decoder.last_beat * 16 + start
    window = (lo, lo + span)
    mask = from_constraints(tok, constraints, window)
    beat = decoder.last_beat
    keyed = any(p % 12 in pcs for p in range(low, min(127, low + width) + 1)) if pcs else True
    for row in decoder.stream(None, mask, SAMPLING, make_generator(seed), 6):
        event = tok.tokens2event(list(row))
        values = dict(zip(["name", *tok.events["note"]], event, strict=True))
        beat += values["time1"]
        assert values["name"] == "note"
        assert window[0] <= beat * 16 + values["time2"] <= window[1]
        assert values["channel"] in channels
        assert constraints.low <= values["pitch"] <= constraints.high
        assert not keyed or pcs is None or values["pitch"] % 12 in pcs
        assert values["velocity"] >= 1 and values["duration"] >= 1


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "int8"])
def test_reduced_precision_decodes_valid_notes(dtype: str) -> None:
    dec = Decoder(tiny_model(), dtype=dtype)
    rows = decode(dec, note_rows(8), 4, low=60, high=72)
    assert len(rows) == 4
    for row in rows:
        event = dec.tokenizer.tokens2event(list(row))
        assert event[0] == "note" and 60 <= event[1 + dec.tokenizer.events["note"].index("pitch")] <= 72


def test_reference_loop_decodes_notes() -> None:
    model = tiny_model()
    tok = Decoder(tiny_model()).tokenizer
    rows = list(reference_stream(model, note_rows(8), SAMPLING, make_generator(0), 3))
    assert len(rows) == 3 and all(tok.tokens2event(r)[0] == "note" for r in rows)
    assert torch.get_num_threads() == 1


def test_sampler_limits() -> None:
    from conductor.backends.skytnt.sampling import sample

    logits = torch.tensor([0.0, 3.0, 1.0, 2.9])
    allowed = torch.tensor([True, False, True, True])
    gen = make_generator(0)
    assert {sample(logits, allowed, Sampling(top_k=1), gen) for _ in range(20)} == {3}
    assert {sample(logits, None, Sampling(top_p=0.0), gen) for _ in range(20)} == {1}
    assert sample(logits, allowed, Sampling(temperature=0.0), gen) == 3
    assert {sample(logits, allowed, Sampling(top_k=0, top_p=1.0), gen) for _ in range(200)} == {0, 2, 3}


def test_single_channel_keeps_its_track_from_the_context(decoder: Decoder) -> None:
    tok = decoder.tokenizer
    context = note_rows(10)  # channel 0 on track 1
    at_track = 1 + tok.events["note"].index("track")
    base = tok.parameter_ids["track"][0]
    mask = from_constraints(tok, Constraints(channels=frozenset({0})), context=context)
    rows = list(decoder.stream(context, mask, SAMPLING, make_generator(2), 8))
    assert {row[at_track] - base for row in rows} == {1}
    assert "track" not in from_constraints(tok, Constraints(channels=frozenset({3})), context=context).static


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_every_tokenizer_version_decodes_within_masks(version: str) -> None:
    dec = Decoder(tiny_model(version))
    tok = dec.tokenizer
    context = note_rows(8, tokenizer=version)
    mask = from_constraints(tok, Constraints(channels=frozenset({0}), low=50, high=60), context=context)
    rows = list(dec.stream(context, mask, SAMPLING, make_generator(4), 5))
    assert len(rows) == 5
    for row in rows:
        values = dict(zip(["name", *tok.events["note"]], tok.tokens2event(list(row)), strict=True))
        assert values["channel"] == 0 and values["track"] == 1 and 50 <= values["pitch"] <= 60


def test_decoding_stops_at_the_models_maximum_length(decoder: Decoder) -> None:
    context = note_rows(10)
    decoder.prefill(context)
    limit = decoder.net.max_positions
    decoder.net.max_positions = len(context) + 2
    try:
        assert len(decode(decoder, None, 10)) == 2
    finally:
        decoder.net.max_positions = limit
