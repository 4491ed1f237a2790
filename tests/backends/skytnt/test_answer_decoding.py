"""The answer bias in the SkyTNT decoder: which logits it adds, and that a biased generation uses it."""

from __future__ import annotations

from dataclasses import replace

from skytnt_tiny import tiny_model

from conductor.backends.answers import STRENGTH, AnswerBias, Material
from conductor.backends.base import Constraints, GenerationRequest
from conductor.backends.skytnt.answerbias import DecoderBias
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.generate import Decoder
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import SamplingSpec

TB = Timebase(120.0, 4, 4)
TURN_LINE = Material((60, 62, 64, 65), (0, 8, 16, 32))  # +2 +2 +1; eighths, eighths, a quarter


def time1_base(dec: Decoder) -> int:
    return int(dec.tokenizer.parameter_ids["time1"][0])


def test_pitch_logits_are_moved_into_the_models_frame() -> None:
    dec = Decoder(tiny_model())
    bias = AnswerBias("develop", TURN_LINE, line=[70, 72], onsets=[0, 8])
    logits = DecoderBias(bias, dec, shift=-2)("pitch", [], (0, 8))
    assert logits is not None and logits.shape == (128,)
    assert {int(i) for i in logits.nonzero()} == {71, 72}  # 74 and 73, two semitones down
    assert float(logits[72]) == STRENGTH


def test_onset_logits_favour_the_turns_next_inter_onset_value() -> None:
    dec = Decoder(tiny_model())
    bias = AnswerBias("develop", TURN_LINE, line=[70, 72, 74], onsets=[0, 8, 16])  # (8, 8) → 16
    hook = DecoderBias(bias, dec)
    time1 = hook("time1", [0], (1, 0))  # the last event at beat 1, step 0: step 32 is beat 2
    assert time1 is not None and {int(i) for i in time1.nonzero()} == {1}
    time2 = hook("time2", [0, time1_base(dec) + 1], (1, 0))
    assert time2 is not None and {int(i) for i in time2.nonzero()} == {0}
    assert hook("velocity", [0], (1, 0)) is None


def test_a_biased_generation_decodes_with_the_hook_and_follows_its_own_line() -> None:
    model = SkyTNTModel(tiny_model())
    turn = tuple(Note(0.25 * i, 0.2, p, 80, 0, Source.HUMAN) for i, p in enumerate((60, 62, 64, 65, 67)))
    request = GenerationRequest(
        context=turn, origin=0.0, start=2.0, until=4.0, timebase=TB, max_events=6,
        sampling=SamplingSpec(seed=1), constraints=Constraints(channels=frozenset({3})),
        answer="develop", turn=turn,
    )  # fmt: skip
    stream = model.generate(request)
    notes = [next(stream)]
    hook = model.decoder.bias  # set while the answer decodes
    notes += list(stream)
    assert isinstance(hook, DecoderBias) and model.decoder.bias is None
    onsets = sorted({n.onset for n in notes})
    assert hook.bias.line == [max(n.pitch for n in notes if n.onset == t) for t in onsets]
    free = model.generate(replace(request, answer="free"))
    next(free)
    assert model.decoder.bias is None
    free.close()
