"""A simulated rehearsal for the Markov backend: a seeded human melody, observe/generate alternately."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from markov_helpers import TB, request

from conductor.backends.markov import MarkovModel
from conductor.core.events import Note
from conductor.piece.compiled import MarkovSpec

D_MAJOR = [p for p in range(50, 90) if p % 12 in {2, 4, 6, 7, 9, 11, 1}]
ROUND_S = 2 * TB.seconds_per_bar  # the AI answers every two bars
WINDOW_S = 4 * TB.seconds_per_bar  # and listens to the last four


def human_melody(seconds: float, seed: int) -> list[Note]:
    """A D-major line between D4 and A5 by steps and small leaps, in eighths, quarters and dotted quarters."""
    rng = np.random.default_rng(seed)
    lo, hi = D_MAJOR.index(62), D_MAJOR.index(81)
    idx, t, out = D_MAJOR.index(69), 0.0, []
    while t < seconds:
        beats = float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5]))
        out.append(Note(t, beats * TB.seconds_per_beat * 0.9, D_MAJOR[idx], int(rng.integers(60, 100))))
        idx = min(hi, max(lo, idx + int(rng.choice([-3, -2, -1, -1, 1, 1, 2, 3]))))
        t += beats * TB.seconds_per_beat
    return out


@dataclass(frozen=True)
class Rehearsal:
    human: list[Note]
    answers: list[list[Note]]  # one list per generation


def rehearse(rounds: int = 40, seed: int = 1, order: int = 4) -> Rehearsal:
    """Every ROUND_S: the model hears the round's notes (in completion order), then answers the next round."""
    human = human_melody(rounds * ROUND_S, seed)
    model = MarkovModel(MarkovSpec(order=order))
    answers = []
    for r in range(rounds):
        now = (r + 1) * ROUND_S
        model.observe(sorted((n for n in human if now - ROUND_S <= n.onset < now), key=lambda n: n.end))
        context = [n for n in human if now - WINDOW_S <= n.onset < now]
        req = request(
            context,
            start=now,
            until=now + ROUND_S,
            max_events=16,
            seed=seed * 1000 + r,
            markov=MarkovSpec(order=order),
        )
        answers.append(list(model.generate(req)))
    return Rehearsal(human, answers)


def pc_histogram(notes: list[Note]) -> np.ndarray:
    return np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(float)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def longest_copied_run(output: list[int], source: list[int]) -> int:
    """Most consecutive output notes whose intervals occur contiguously in the source (transposed too)."""
    out_iv = np.diff(output).tolist()
    src_iv = np.diff(source).tolist()
    best, prev = 0, [0] * (len(src_iv) + 1)
    for a in out_iv:
        cur = [0] * (len(src_iv) + 1)
        for j, b in enumerate(src_iv, 1):
            if a == b:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best + 1 if output else 0
