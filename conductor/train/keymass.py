"""Has the model learnt the key? The probability it gives to the human's key, free of sampling noise.

For each case, the prompt and the written AI part of the span are tokenised together (`role_score`,
`role_rows`); at every AI note of the span the model reads the rows before it and the note's own
time, track and channel tokens, and the check sums its pitch distribution over the seven pitch
classes of the key estimated from the human's notes. A model that ignores harmony puts about the
share a random pitch would (~0.58) there; the written parts themselves are ~0.93 in key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from conductor.backends.skytnt.roles import AI_CHANNEL, TICKS_PER_BEAT, role_rows, role_score
from conductor.train.evaluate import rows_to_notes
from conductor.train.metrics import key_scale
from conductor.train.rolecases import Case, beats


@torch.no_grad()
def key_mass(model: Any, tok: Any, case: Case, shift: int = 0) -> list[float]:
    """In-key probability mass at each written AI note of the span (empty without one); ``shift``
    moves the parts as a `KEY_COMMON` model reads them (the key moves with them)."""
    both = [*case.ai_prompt, *case.reference]
    rs = role_score(case.human_prompt(), both, case.role, case.meter, shift)
    rows = np.asarray(role_rows(tok, rs))
    cut = case.cut / TICKS_PER_BEAT
    span = [r for r, n in rows_to_notes(rows, tok) if n.channel == AI_CHANNEL and n.onset >= cut - 1e-6]
    if not span:
        return []
    pitch_col = 1 + list(tok.events["note"]).index("pitch")
    pitch_base = tok.parameter_ids["pitch"][0]
    scale = sorted(key_scale(beats(case.human)))
    x = torch.from_numpy(rows.astype(np.int64))[None]
    hidden = model.net(inputs_embeds=model.net.embed_tokens(x).sum(-2)).last_hidden_state[0]
    in_key = torch.tensor([(p - shift) % 12 in scale for p in range(128)])
    out = []
    for i in span:
        prefix = torch.from_numpy(rows[i, :pitch_col].astype(np.int64))[None]
        token_in = torch.cat([hidden[i - 1][None, None], model.net_token.embed_tokens(prefix)], 1)
        logits = model.lm_head(model.net_token(inputs_embeds=token_in).last_hidden_state)[0, -1]
        probs = torch.softmax(logits[pitch_base : pitch_base + 128].float(), -1)
        out.append(float(probs[in_key].sum()))
    return out


def mean_key_mass(model: Any, tok: Any, cases: Sequence[Case], common_key: bool = False) -> float:
    """Mean in-key mass over every written AI note of the cases (NaN when there is none)."""
    from conductor.train.rolesystems import human_shift

    values = [
        v
        for case in cases
        if case.reference
        for v in key_mass(model, tok, case, human_shift(case) if common_key else 0)
    ]
    return float(np.mean(values)) if values else float("nan")
