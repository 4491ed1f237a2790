"""An `AnswerBias` as the SkyTNT decoder's logit hook (`Decoder.bias`).

The bias speaks pitches in the human's key and onsets in steps of a 16th of a beat from the score's
origin; the decoder samples pitches in the model's frame (a common-key role model reads everything
moved by `shift`) and onsets as time1 (beats after the previous event) then time2 (the step within
that beat). So: the pitch head gets the pitch weights moved by `shift`; time1 gets, for each beat,
the best favoured inter-onset value landing in it (only favours: a discouraged value is discouraged
at time2, where the exact onset is known); time2 gets the weight of the exact inter-onset value.
Not thread-safe (the backend's generation owns it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from conductor.backends.answers import STEPS_PER_BEAT, AnswerBias, Weights
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import TIME_STEPS

assert TIME_STEPS == STEPS_PER_BEAT  # answers.py counts onsets in the tokenizer's time2 steps


class DecoderBias:
    """Logits added while one answer is decoded; `played` after each decoded row."""

    def __init__(self, bias: AnswerBias, decoder: Decoder, shift: int = 0) -> None:
        self.bias = bias
        self.decoder = decoder
        self.shift = shift
        self.tokenizer: Any = decoder.tokenizer
        self._sizes: dict[str, int] = self.tokenizer.event_parameters
        self._time1_base = self.tokenizer.parameter_ids["time1"][0]

    def __call__(self, head: str, prefix: Sequence[int], at: tuple[int, int]) -> torch.Tensor | None:
        """The logits to add to `head`'s values for the event whose tokens so far are `prefix`."""
        if head == "pitch":
            return self._tensor(head, {p + self.shift: w for p, w in self.bias.pitches().items()})
        if head not in ("time1", "time2") or not self.bias.onsets:
            return None
        iois, last = self.bias.iois(), self.bias.onsets[-1]
        if head == "time1":
            by_beat: Weights = {}
            for d, w in iois.items():
                beat = (last + d) // TIME_STEPS - at[0]
                if w > 0 and beat >= 0:
                    by_beat[beat] = max(w, by_beat.get(beat, 0.0))
            return self._tensor(head, by_beat)
        beat = at[0] + int(prefix[1]) - self._time1_base
        return self._tensor(head, {s: iois.get(beat * TIME_STEPS + s - last, 0.0) for s in range(TIME_STEPS)})

    def played(self, row: Row) -> None:
        """The decoder appended note `row`: the answer's line and onsets move on."""
        event = self.tokenizer.tokens2event(list(row))
        if event is None or event[0] != "note":
            return
        values = dict(zip(self.tokenizer.events["note"], event[1:], strict=True))
        onset = self.decoder.last_beat * TIME_STEPS + int(values["time2"])
        self.bias.played(int(values["pitch"]) - self.shift, onset)

    def _tensor(self, head: str, weights: Weights) -> torch.Tensor | None:
        size = self._sizes[head]
        kept = {v: w for v, w in weights.items() if 0 <= v < size and w}
        if not kept:
            return None
        out = torch.zeros(size)
        out[torch.tensor(list(kept))] = torch.tensor(list(kept.values()))
        return out
