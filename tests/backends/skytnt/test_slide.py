"""The next anchor prefilled in the background: a layer-sliced rebuild of a spare cache is exact,
pauses when asked, follows a growing target, and swaps in whole; notes that would make the live
cache recompute far back wait for it (issue 14: the warm path holds as the window slides)."""

from __future__ import annotations

from dataclasses import replace

import torch
from skytnt_tiny import tiny_model

from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.skytnt import rebuild
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.listening import LIVE_ROWS
from conductor.backends.skytnt.rebuild import Rebuild
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import SamplingSpec

TB = Timebase(120.0, 4, 4)


def rows(decoder: Decoder, n: int, seed: int = 0) -> list[list[int]]:
    """BOS and `n` note rows of random pitches."""
    tok, gen = decoder.tokenizer, torch.Generator().manual_seed(seed)
    out = [list(decoder.padded([tok.bos_id]))]
    for i in range(n):
        values = {"time1": i % 2, "time2": (3 * i) % 16, "track": 0, "channel": 0, "duration": 4,
                  "pitch": int(torch.randint(40, 90, (1,), generator=gen)), "velocity": 80}  # fmt: skip
        out.append(list(decoder.padded(tok.event2tokens(["note", *(values[p] for p in tok.events["note"])]))))
    return out


def fresh_hidden(target: list[list[int]]) -> torch.Tensor:
    decoder = Decoder(tiny_model())
    decoder.prefill(target)
    assert decoder.hidden is not None
    return decoder.hidden


def test_a_sliced_rebuild_is_exact_and_swaps_in_whole() -> None:
    decoder = Decoder(tiny_model())
    decoder.prefill(rows(decoder, 5, seed=1))
    live = list(decoder.rows)
    spare = Rebuild(decoder)
    target = rows(decoder, 150, seed=2)
    spare.target(target)
    slices = 0
    while not spare.work(lambda: True):  # a pause after every layer
        slices += 1
        assert decoder.rows == live  # the live context is untouched meanwhile
    layers = len(decoder.net.layers)
    assert slices >= 3 * (layers - 1)  # 150 rows: three chunks of up to 64, each paused per layer
    spare.swap()
    assert decoder.rows == [tuple(r) for r in target] and decoder.cache.length == len(target)
    assert decoder.hidden is not None and torch.allclose(decoder.hidden, fresh_hidden(target), atol=1e-5)
    assert spare.rows == live  # the old cache is the next spare


def test_a_rebuild_leaves_the_changing_tail_of_its_target_to_the_live_path() -> None:
    decoder = Decoder(tiny_model())
    decoder.prefill(rows(decoder, 3))
    spare = Rebuild(decoder, tail=30)
    target = rows(decoder, 200, seed=5)
    spare.target(target)
    spare.work(lambda: False)
    assert spare.done and not spare.complete and spare.computed == len(target) - 30
    spare.swap()
    assert decoder.rows == [tuple(r) for r in target[: len(target) - 30]]
    assert decoder.prefill(target) == 30  # the live path computes the tail
    assert decoder.hidden is not None and torch.allclose(decoder.hidden, fresh_hidden(target), atol=1e-5)


def test_a_target_that_changes_midway_keeps_only_the_rows_it_shares() -> None:
    decoder = Decoder(tiny_model())
    decoder.prefill(rows(decoder, 3))
    spare = Rebuild(decoder)
    first = rows(decoder, 100, seed=3)
    spare.target(first)
    while spare.computed == 0:  # partway through: the first chunk done
        spare.work(lambda: True)
    assert spare.computed == rebuild.CHUNK < len(first)
    second = first[:40] + rows(decoder, 90, seed=4)[40:]  # the notes after row 40 changed
    spare.target(second)
    assert spare.computed <= 40
    spare.work(lambda: False)
    spare.swap()
    assert decoder.hidden is not None and torch.allclose(decoder.hidden, fresh_hidden(second), atol=1e-5)


def human(n: int, start: float = 0.0) -> tuple[Note, ...]:
    return tuple(Note(start + 0.25 * i, 0.2, 60 + (i * 5) % 12, 80, 0, Source.HUMAN) for i in range(n))


def request(context: tuple[Note, ...], start: float) -> GenerationRequest:
    return GenerationRequest(
        context=context, origin=0.0, start=start, until=start + 2.0, timebase=TB, max_events=4,
        sampling=SamplingSpec(seed=5), constraints=Constraints(channels=frozenset({2})),
    )  # fmt: skip


def test_a_long_note_heard_at_its_release_waits_for_the_next_anchor() -> None:
    model = SkyTNTModel(tiny_model())
    heard = human(LIVE_ROWS + 40)
    list(model.generate(request(heard, start=heard[-1].end)))
    model.observe(human(4, start=heard[-1].end))
    length, computed = model.decoder.cache.length, list(model.decoder.rows)
    pedal = Note(1.0, heard[-1].end + 1.0, 36, 70, 0, Source.HUMAN)  # held from near the start
    model.observe([pedal, *human(2, start=heard[-1].end + 1.0)])
    assert pedal not in model.context.notes and pedal in model.context.slide.notes  # not recomputed now …
    assert model.decoder.rows[: length - LIVE_ROWS] == computed[: length - LIVE_ROWS]
    assert model.context.notes[-1].onset == heard[-1].end + 1.25  # … while the notes after it were taken
    while model.work(lambda: False):
        pass
    assert pedal in model.context.notes and not model.context.slide.active  # the next anchor heard it
    notes = list(model.generate(replace(request((*heard, pedal), heard[-1].end + 2.0))))
    assert all(n.onset >= heard[-1].end + 2.0 for n in notes)


def test_an_observe_paused_for_a_request_changes_nothing_that_is_played() -> None:
    notes = human(40)
    played = []
    for pause in (None, lambda: True):  # the second stops its prefill at the first layer
        model = SkyTNTModel(tiny_model())
        list(model.generate(request(notes[:20], start=notes[19].end)))
        model.observe(notes[20:], pause)
        if pause is not None:
            assert model.decoder.cache.length < len(model.decoder.rows)  # the rest is left to the request
        played.append(list(model.generate(request(notes, start=notes[-1].end))))
    assert played[0] == played[1] and played[0]


def test_a_trigger_whose_window_was_heard_but_for_its_last_beat_decodes_at_once() -> None:
    model = SkyTNTModel(tiny_model())
    heard = human(40)
    list(model.generate(request(heard[:38], start=heard[37].end)))
    model.observe(heard[:38])  # everything up to note 38 prefilled
    prefills: list[int] = []
    prefill = model.decoder.prefill
    model.decoder.prefill = lambda rows, pause=None: prefills.append(len(rows)) or prefill(rows, pause)  # type: ignore[method-assign]
    soon = request(heard, start=heard[-1].end)  # the last 2 notes lie in the beat before its start
    assert list(model.generate(soon)) and prefills == []  # decoded on from the cache: no prefill
    assert all(n in model.context._later for n in heard[38:])  # taken at the next observe or trigger
    late = request(heard, start=heard[-1].end + 2.0)  # now they lie further back: taken first
    assert list(model.generate(late)) and prefills
    assert set(heard) <= set(model.context.notes)
