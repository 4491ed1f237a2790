"""Rehearsal-like runs on a virtual timeline: the model follows the human's pitch classes without copying.

Copy bound: the anti-copy rule allows at most MAX_COPY_RUN single-choice steps (MAX_COPY_RUN + 1 notes)
before the line must recombine; a recombined continuation may by chance match another passage of the
input for a few more steps (with an order-4 context, a handful), so a run of MAX_COPY_RUN + ORDER notes
is the most we accept. A pure copier scores the full answer length (16 here, 32 on the repeated phrase);
drawing the same intervals independently already gives chance runs of about 6 against this input.
"""

from __future__ import annotations

import numpy as np
from markov_helpers import melody, request
from rehearsal_sim import cosine, human_melody, longest_copied_run, pc_histogram, rehearse

from conductor.backends.markov import MarkovModel
from conductor.backends.markov.generate import MAX_COPY_RUN
from conductor.piece.compiled import MarkovSpec

ORDER = 4
COPY_BOUND = MAX_COPY_RUN + ORDER


def test_output_pitch_classes_follow_the_human_s() -> None:
    run = rehearse(rounds=40, seed=1, order=ORDER)
    ai = [n for answer in run.answers for n in answer]
    assert len(ai) > 300  # it answered in (almost) every round
    assert cosine(pc_histogram(run.human), pc_histogram(ai)) > 0.95
    off_key = sum(1 for n in ai if n.pitch % 12 not in {2, 4, 6, 7, 9, 11, 1})
    assert off_key / len(ai) < 0.1


def test_answers_do_not_copy_the_input_verbatim() -> None:
    run = rehearse(rounds=40, seed=1, order=ORDER)
    source = [n.pitch for n in run.human]
    runs = [longest_copied_run([n.pitch for n in answer], source) for answer in run.answers]
    assert max(runs) <= COPY_BOUND < 16
    assert float(np.mean(runs)) < 10


def test_a_phrase_played_six_times_is_not_replayed_whole() -> None:
    phrase = [62, 66, 69, 74, 73, 71, 69, 67, 66, 64, 62, 64, 66, 67, 69, 62]
    human = melody(phrase * 6)
    model = MarkovModel(MarkovSpec(order=ORDER))
    model.observe(human)
    out = [n.pitch for n in model.generate(request(human[-8:], start=60, until=80, max_events=32))]
    assert len(out) == 32
    assert out[:MAX_COPY_RUN] == phrase[:MAX_COPY_RUN]  # it does continue the phrase first
    assert longest_copied_run(out, phrase * 6) <= COPY_BOUND


def test_the_simulated_human_stays_in_d_major_and_its_register() -> None:
    line = human_melody(60.0, seed=1)
    assert {n.pitch % 12 for n in line} <= {2, 4, 6, 7, 9, 11, 1}
    assert min(n.pitch for n in line) >= 62 and max(n.pitch for n in line) <= 81


def test_longest_copied_run_counts_transposed_copies() -> None:
    assert longest_copied_run([70, 72, 74, 60], [58, 60, 62, 64]) == 3
    assert longest_copied_run([60, 61], [60, 62]) == 1
