"""Speed measurement shared by `conductor model bench` and `bench/bench_model.py`.

After an N-event context, for conductor's `Decoder` and for the upstream-style reference loop in the
same run: `first_event_s_cold` (context never seen: prefill all of it, then decode one event),
`first_event_s_warm` (context prefilled while it was heard: the trigger only decodes; the reference
cannot keep anything, so it recomputes) and `events_per_s` (steady decoding of M further events).
Note events only, random valid context rows, fixed seeds.
"""

from __future__ import annotations

import copy
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from conductor.backends.base import Constraints
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.masks import from_constraints
from conductor.backends.skytnt.model import MIDIModel
from conductor.backends.skytnt.runtime import KVCache
from conductor.backends.skytnt.sampling import Sampling, make_generator
from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.measure.skytnt_reference import reference_stream

SAMPLING = Sampling(temperature=1.0, top_p=0.98, top_k=20)


def context_rows(tokenizer: str, events: int, seed: int = 0) -> list[list[int]]:
    """BOS and `events` random note rows on one channel (a performer's notes, roughly)."""
    tok = get_tokenizer(tokenizer)
    rng = random.Random(seed)
    rows = [tok.bos_row()]
    for _ in range(events):
        values = dict(time1=rng.choice((0, 0, 0, 1)), time2=rng.randrange(16), track=1, channel=0)
        values.update(pitch=rng.randint(48, 84), velocity=rng.randint(40, 110), duration=rng.randint(1, 16))
        rows.append(tok.event2tokens(["note", *(values[p] for p in tok.events["note"])]))
    return rows


def _first_and_rate(stream: Iterator[Any], start: float, events: int) -> tuple[float, float]:
    next(stream)
    first = time.perf_counter() - start
    t0 = time.perf_counter()
    n = sum(1 for _ in stream)
    rate = n / (time.perf_counter() - t0) if n else 0.0
    assert n == events, f"decoded {n} of {events} events"
    return first, rate


def measure_reference(model: MIDIModel, rows: list[list[int]], events: int) -> dict[str, float]:
    """The upstream-style loop: cold, 'warm' (it recomputes anyway) and steady rate."""
    start = time.perf_counter()
    cold, rate = _first_and_rate(
        reference_stream(model, rows, SAMPLING, make_generator(0), events + 1), start, events
    )
    start = time.perf_counter()
    warm = _first_and_rate(reference_stream(model, rows, SAMPLING, make_generator(1), 2), start, 1)[0]
    return {"first_event_s_cold": cold, "first_event_s_warm": warm, "events_per_s": rate}


def measure_fast(decoder: Decoder, rows: list[list[int]], events: int, repeats: int = 3) -> dict[str, float]:
    """conductor's Decoder: cold (empty cache), warm (context prefilled beforehand), steady rate."""
    mask = from_constraints(decoder.tokenizer, Constraints(), context=rows)
    decoder.reset()
    start = time.perf_counter()
    cold, rate = _first_and_rate(
        decoder.stream(rows, mask, SAMPLING, make_generator(0), events + 1), start, events
    )
    warms = []
    for i in range(repeats):
        decoder.reset()
        decoder.prefill(rows)  # heard while the human played
        start = time.perf_counter()
        warms.append(_first_and_rate(decoder.stream(rows, mask, SAMPLING, make_generator(i), 2), start, 1)[0])
    return {"first_event_s_cold": cold, "first_event_s_warm": statistics.median(warms), "events_per_s": rate}


def precision_gap(model: MIDIModel, rows: list[list[int]], dtype: str, positions: int = 16) -> float:
    """Mean total-variation distance between float32's and `dtype`'s distributions of every parameter
    value, teacher-forced over the last `positions` events of `rows` (0: identical, 1: disjoint)."""
    ref = _distributions(Decoder(copy.deepcopy(model)), rows, positions)
    other = _distributions(Decoder(copy.deepcopy(model), dtype=dtype), rows, positions)
    gaps = [0.5 * float((a - b).abs().sum()) for a, b in zip(ref, other, strict=True)]
    return statistics.fmean(gaps)


@torch.inference_mode()
def _distributions(dec: Decoder, rows: list[list[int]], positions: int) -> list[torch.Tensor]:
    tok = dec.tokenizer
    ids = torch.tensor(rows, dtype=torch.long)
    hidden = dec.net.forward(dec.net.embed[ids].sum(dim=-2), KVCache(dec.net, len(rows)))
    out = []
    for i in range(len(rows) - positions - 1, len(rows) - 1):
        row = rows[i + 1]
        params = tok.events[tok.id_events[row[0]]]
        seq = torch.cat([hidden[i : i + 1], dec.token_net.embed[torch.tensor(row[: len(params)])]])
        states = dec.token_net.forward(seq, KVCache(dec.token_net, len(seq)))
        for j, param in enumerate(params):
            logits = dec.heads[param][0](states[j + 1 : j + 2])[0].float()
            out.append(torch.softmax(logits, dim=-1))
    return out


def bench(
    model: MIDIModel, context: int, events: int, dtype: str = "float32", device: str = "cpu"
) -> dict[str, Any]:
    """Both paths on one model, in one run; keys as `conductor model bench --json` prints them."""
    return bench_dtypes(model, context, events, (dtype,), device)[0]


def bench_dtypes(
    model: MIDIModel, context: int, events: int, dtypes: Sequence[str], device: str = "cpu"
) -> list[dict[str, Any]]:
    """The reference loop once (float32, CPU), then conductor's path for each dtype on a copy."""
    rows = context_rows(model.config.tokenizer, context)
    model = model.float().eval()
    ref = measure_reference(model, rows, events)
    results = []
    for dtype in dtypes:
        fast = measure_fast(Decoder(copy.deepcopy(model), dtype=dtype, device=device), rows, events)
        out: dict[str, Any] = {"config": model.config.name, "context": context, "events": events}
        out.update(dtype=dtype, device=device, threads=torch.get_num_threads())
        out.update(fast)
        out.update({f"reference_{k}": v for k, v in ref.items()})
        out["speedup_first_event_cold"] = ref["first_event_s_cold"] / fast["first_event_s_cold"]
        out["speedup_first_event_warm"] = ref["first_event_s_warm"] / fast["first_event_s_warm"]
        out["speedup_events_per_s"] = fast["events_per_s"] / ref["events_per_s"]
        out["tv_distance_vs_float32"] = 0.0 if dtype == "float32" else precision_gap(model, rows, dtype)
        results.append(out)
    return results
