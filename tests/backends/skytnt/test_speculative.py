"""Speculative decoding: exactly the model's distribution, masks kept, caches rolled back, cancellable.

The distribution checks compare the speculative decoder's events with the normal path's exact
probabilities (`spec_exact.event_distribution`: every value walked, nothing cached) by a chi-square
test at significance 1e-4 with fixed seeds, so the outcome is reproducible; each check also shows its
power: a sampler that keeps every drafted value is rejected by the same test at the same size.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from skytnt_tiny import note_rows, tiny_config, tiny_model
from spec_exact import (
    SIGNIFICANCE,
    chi_square_p,
    event_distribution,
    second_event_distribution,
    two_sample_p,
)

from conductor.backends.base import Constraints
from conductor.backends.skytnt import speculative
from conductor.backends.skytnt.depth import Depth
from conductor.backends.skytnt.draft import Draft, ModelDraft, make_draft
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import EventMask, from_constraints, value_mask
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.backends.skytnt.runtime import KVCache
from conductor.backends.skytnt.sampling import Sampling, distribution, make_generator, sample
from conductor.backends.skytnt.speculative import SpeculativeDecoder, accept

SAMPLING = Sampling(temperature=1.0, top_p=0.98, top_k=20)
SMALL = Sampling(temperature=0.9, top_p=0.9, top_k=2)  # truncation bites: one of three values cut


def small_mask(dec: Decoder) -> EventMask:
    """Notes with two or three values per sampled parameter (a few dozen possible rows)."""
    sizes = dec.tokenizer.event_parameters
    values = {"time1": [0, 1], "time2": [0, 4, 8], "track": [1], "channel": [0],
              "pitch": [60, 62, 64], "velocity": [64, 80, 96], "duration": [2, 4]}  # fmt: skip
    return EventMask(("note",), {p: value_mask(sizes[p], v) for p, v in values.items()})


def spread_model() -> MIDIModel:
    """A tiny model whose distributions under `small_mask` and `SMALL` spread over ~15 rows an event."""
    model = build_model(tiny_config(), seed=0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(2.0)
    return model


def self_draft(dec: Decoder) -> Draft:
    """The model drafting for itself: every drafted value is kept (up to rounding)."""
    return ModelDraft(Decoder(copy.deepcopy(dec.model)))


DRAFTS: dict[str, Callable[[Decoder], Draft]] = {
    "online": lambda dec: make_draft("online", dec),
    "stale": lambda dec: make_draft("stale", dec),
    "self": self_draft,
}


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder(tiny_model())


def test_sample_draws_from_distribution() -> None:
    logits = torch.tensor([0.3, 2.0, -1.0, 1.7, 0.9, 1.2])
    allowed = torch.tensor([True, True, True, False, True, True])
    gen = make_generator(0)
    p = distribution(logits, allowed, SMALL)
    assert float(p[3]) == 0.0 and int((p > 0).sum()) == 2 and abs(float(p.sum()) - 1) < 1e-6
    counts = Counter(sample(logits, allowed, SMALL, gen) for _ in range(4000))
    assert chi_square_p(counts, {i: float(v) for i, v in enumerate(p) if v > 0}) > SIGNIFICANCE
    assert distribution(logits, allowed, Sampling(temperature=0.0)).tolist() == [0, 1, 0, 0, 0, 0]


def test_accept_keeps_the_target_distribution() -> None:
    gen = make_generator(1)
    p = torch.tensor([0.5, 0.0, 0.3, 0.2, 0.0])  # zeros: values masked or truncated away
    q = torch.tensor([0.1, 0.4, 0.1, 0.2, 0.2])  # the draft puts mass where p has none
    expected = {i: float(v) for i, v in enumerate(p) if v > 0}
    kept, biased = Counter(), Counter()
    for _ in range(6000):
        x = int(torch.multinomial(q, 1, generator=gen))
        kept[accept(p, q, x, gen)] += 1
        biased[x] += 1  # keeping every drafted value: the test must see it
    assert chi_square_p(kept, expected) > SIGNIFICANCE
    assert chi_square_p(biased, expected) < SIGNIFICANCE
    assert accept(p, p, 2, gen) == 2  # the draft's own distribution: always kept


def sample_events(stream: Callable[[int], Iterator[Row]], n: int) -> list[list[Row]]:
    """The first three events of `n` generations (`stream(i)` starts the i-th)."""
    return [list(stream(i)) for i in range(n)]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "n"), [("online", 400), ("self", 200)])
def test_events_follow_the_model_exactly(name: str, n: int) -> None:
    dec = Decoder(spread_model())
    context = note_rows(12, seed=3)
    mask = small_mask(dec)
    first = event_distribution(Decoder(spread_model()), context, mask, SMALL)
    second = second_event_distribution(Decoder(spread_model()), context, mask, SMALL)
    assert len(first) > 10 and len(second) > 10
    spec = SpeculativeDecoder(dec, DRAFTS[name](dec), Depth(fixed=3))
    gen = make_generator(7)
    events = sample_events(lambda i: spec.stream(context, mask, SMALL, gen, 3), n)
    assert chi_square_p(Counter(e[0] for e in events), first) > SIGNIFICANCE  # the normal path's
    assert chi_square_p(Counter(e[1] for e in events), second) > SIGNIFICANCE  # drafted, verified
    normal = sample_events(lambda i: dec.stream(context, mask, SMALL, gen, 3), n)
    assert two_sample_p([e[2] for e in events], [e[2] for e in normal]) > SIGNIFICANCE  # from drafted states
    stats = spec.stats
    assert stats.rows > stats.passes > 0  # later events: several rows per event-net pass
    if name == "online":  # both outcomes happen: values kept and values corrected
        assert 0 < stats.kept < stats.values and stats.accepted > 0
        with pytest.MonkeyPatch.context() as monkey:  # the test's power: keeping every drafted value
            monkey.setattr(speculative, "accept", lambda p, q, x, gen: x)
            biased = sample_events(lambda i: spec.stream(context, mask, SMALL, gen, 3), n)
        assert chi_square_p(Counter(e[1] for e in biased), second) < SIGNIFICANCE


@settings(max_examples=20, deadline=None)
@given(
    channels=st.frozensets(st.integers(0, 15), min_size=1, max_size=3),
    low=st.integers(0, 120),
    width=st.integers(0, 40),
    pcs=st.none() | st.frozensets(st.integers(0, 11), min_size=1, max_size=7),
    start=st.integers(0, 64),
    span=st.integers(0, 64),
    seed=st.integers(0, 1000),
    depth=st.integers(1, 4),
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
    depth: int,
) -> None:
    tok = decoder.tokenizer
    constraints = Constraints(channels=channels, low=low, high=min(127, low + width), pitch_classes=pcs)
    spec = SpeculativeDecoder(decoder, make_draft("online", decoder), Depth(fixed=depth))
    spec.prefill(note_rows(6, seed=seed))
    window = (decoder.last_beat * 16 + start, decoder.last_beat * 16 + start + span)
    beat = decoder.last_beat
    keyed = any(p % 12 in pcs for p in range(low, min(127, low + width) + 1)) if pcs else True
    for i, row in enumerate(spec.stream(None, from_constraints(tok, constraints, window), SAMPLING,
                                        make_generator(seed), 8)):  # fmt: skip
        values = dict(zip(["name", *tok.events["note"]], tok.tokens2event(list(row)), strict=True))
        beat += values["time1"]
        onset = beat * 16 + values["time2"]
        assert values["name"] == "note" and window[0] <= onset and (i > 0 or onset <= window[1])
        assert onset <= window[1]  # past the window the generation ends: that row is not yielded
        assert values["channel"] in channels
        assert constraints.low <= values["pitch"] <= constraints.high
        assert not keyed or pcs is None or values["pitch"] % 12 in pcs
        assert values["velocity"] >= 1 and values["duration"] >= 1


def cache_matches_fresh_prefill(dec: Decoder) -> None:
    """The decoder's cached rows are a prefix of its sequence, and their keys, values and last state
    are what a fresh prefill of those rows computes."""
    n = dec.cache.length
    assert 0 < n <= len(dec.rows)
    fresh = Decoder(copy.deepcopy(dec.model))
    fresh.prefill(dec.rows[:n])
    assert torch.allclose(dec.cache.k[:, :, :n], fresh.cache.k[:, :, :n], atol=1e-5)
    assert torch.allclose(dec.cache.v[:, :, :n], fresh.cache.v[:, :, :n], atol=1e-5)
    assert dec.hidden is not None and fresh.hidden is not None
    assert torch.allclose(dec.hidden, fresh.hidden, atol=1e-5)


def continuation(dec: Decoder, seed: int = 11) -> list[Row]:
    mask = from_constraints(dec.tokenizer, Constraints(channels=frozenset({0, 1})))
    return list(dec.stream(None, mask, SAMPLING, make_generator(seed), 6))


def test_rejections_roll_the_caches_back(decoder: Decoder) -> None:
    spec = SpeculativeDecoder(decoder, make_draft("online", decoder), Depth(fixed=4))
    rows = list(spec.stream(note_rows(20), small_mask(decoder), SMALL, make_generator(2), 40))
    assert len(rows) == 40 and decoder.rows[-40:] == rows
    assert spec.stats.verified > spec.stats.accepted > 0  # rejections happened, and multi-row passes
    cache_matches_fresh_prefill(decoder)
    sequence = list(decoder.rows)
    fresh = Decoder(copy.deepcopy(decoder.model))
    fresh.prefill(sequence)
    assert continuation(decoder) == continuation(fresh)  # decoding after the rejections = from scratch


def test_closing_mid_iteration_keeps_only_the_yielded_rows(decoder: Decoder) -> None:
    spec = SpeculativeDecoder(decoder, self_draft(decoder), Depth(fixed=4))
    context = note_rows(15, seed=4)
    mask = from_constraints(decoder.tokenizer, Constraints(channels=frozenset({0, 1})))
    stream = spec.stream(context, mask, SAMPLING, make_generator(3), 20)
    got = [next(stream) for _ in range(3)]  # the first alone, then two of a 4-row iteration
    assert spec.stats.accepted >= 4  # the iteration decoded more rows than were taken
    calls = count_forward_calls(decoder)
    stream.close()
    assert next(calls) == 0  # closing runs no net
    assert decoder.rows == [*map(tuple, context), *got]
    assert decoder.cache.length <= len(decoder.rows)
    cache_matches_fresh_prefill(decoder)
    fresh = Decoder(copy.deepcopy(decoder.model))
    fresh.prefill(decoder.rows)
    assert continuation(decoder) == continuation(fresh)


def count_forward_calls(dec: Decoder) -> Iterator[int]:
    """Counts the event and token nets' passes from now on (next() reads and resets the count)."""
    calls = [0]
    for net in (dec.net, dec.token_net):
        original = net.forward

        def counted(x: torch.Tensor, cache: KVCache, original=original) -> torch.Tensor:  # type: ignore[no-untyped-def]
            calls[0] += 1
            return original(x, cache)

        net.forward = counted  # type: ignore[method-assign]

    def read() -> Iterator[int]:
        while True:
            yield calls[0]
            calls[0] = 0

    return read()


def test_first_event_is_decoded_the_normal_way() -> None:
    dec = Decoder(tiny_model())
    spec = SpeculativeDecoder(dec, make_draft("online", dec), Depth(fixed=4))
    context = note_rows(15, seed=4)
    mask = from_constraints(dec.tokenizer, Constraints())
    normal = next(Decoder(tiny_model()).stream(context, mask, SAMPLING, make_generator(0), 1))
    spec.prefill(context)  # heard while the human played
    passes: list[int] = []
    original = dec.net.forward
    dec.net.forward = lambda x, cache: passes.append(len(x)) or original(x, cache)  # type: ignore[method-assign]
    stream = spec.stream(None, mask, SAMPLING, make_generator(0), 9)
    assert next(stream) == normal and passes == []  # the same draws, no event-net pass, no draft
    assert spec.stats.normal == 1
    next(stream)
    assert passes == [4]  # then the first event and three drafted rows in one pass
    stream.close()


def test_seeded_decoding_is_reproducible(decoder: Decoder) -> None:
    mask = from_constraints(decoder.tokenizer, Constraints(channels=frozenset({0, 2})))

    def run() -> list[Row]:
        spec = SpeculativeDecoder(decoder, make_draft("online", decoder))
        return list(spec.stream(note_rows(10), mask, SAMPLING, make_generator(5), 30))

    assert run() == run()


def test_decoder_used_between_yields(decoder: Decoder) -> None:
    spec = SpeculativeDecoder(decoder, self_draft(decoder), Depth(fixed=4))
    mask = from_constraints(decoder.tokenizer, Constraints(channels=frozenset({0, 1})))
    stream = spec.stream(note_rows(10), mask, SAMPLING, make_generator(1), 12)
    next(stream), next(stream)
    other = note_rows(14, seed=9)
    decoder.prefill(other)  # someone else moved the decoder: the drafted rows are dropped
    rest = list(stream)
    assert len(rest) == 10 and decoder.rows == [*map(tuple, other), *rest]
    cache_matches_fresh_prefill(decoder)


def test_decoding_stops_at_the_models_maximum_length(decoder: Decoder) -> None:
    spec = SpeculativeDecoder(decoder, self_draft(decoder), Depth(fixed=4))
    context = note_rows(10)
    spec.prefill(context)
    limit = decoder.net.max_positions
    decoder.net.max_positions = len(context) + 5
    try:
        mask = from_constraints(decoder.tokenizer, Constraints())
        assert len(list(spec.stream(None, mask, SAMPLING, make_generator(0), 20))) == 5
    finally:
        decoder.net.max_positions = limit


def test_depth_follows_acceptance() -> None:
    depth = Depth(threshold=0.25, least=0.5, probe=4, rate=0.5)
    assert depth.next() == 1  # first try one drafted row
    for _ in range(8):
        depth.update(True, 5)
    assert depth.next() == 6  # rows kept: draft ahead, at most `most`
    for _ in range(8):
        depth.update(False, 0)
    assert [depth.next() for _ in range(8)] == [0, 0, 0, 1, 0, 0, 0, 1]  # normal path, with probes
    assert Depth(fixed=2).next() == 2
    with pytest.raises(ValueError, match="expected 0 or more"):
        Depth(fixed=-1)


def test_depth_zero_is_the_normal_path(decoder: Decoder) -> None:
    mask = from_constraints(decoder.tokenizer, Constraints(channels=frozenset({0, 1})))
    context = note_rows(10)
    spec = SpeculativeDecoder(decoder, make_draft("online", decoder), Depth(fixed=0))
    fast = list(spec.stream(context, mask, SAMPLING, make_generator(4), 8))
    assert fast == list(decoder.stream(context, mask, SAMPLING, make_generator(4), 8))
    assert spec.stats.normal == 8 and spec.stats.verified == 0


def test_the_backend_decodes_speculatively_on_request() -> None:
    from test_backend_skytnt import human, request

    from conductor.backends.base import ModelError
    from conductor.backends.skytnt.backend import SkyTNTModel

    normal, fast = SkyTNTModel(tiny_model()), SkyTNTModel(tiny_model(), draft="online")
    assert normal.speculative is None and fast.speculative is not None
    req = replace(request(human(16), start=4.0), max_events=12)
    notes = list(fast.generate(req))
    assert notes[0] == next(normal.generate(req))  # the first note: the normal path's draws
    assert fast.speculative.stats.verified > 0 and notes == list(fast.generate(req))  # seeded
    for n in notes:
        assert 4.0 <= n.onset <= 8.0 and n.channel == 2 and 48 <= n.pitch <= 72
    with pytest.raises(ModelError, match="unknown draft 'tiny': expected one of online, stale"):
        SkyTNTModel(tiny_model(), draft="tiny")
