"""`MarkovModel`: a variable-order Markov backend that learns the performer as they play.

    model = MarkovModel.from_spec(ModelSpec(kind="markov"), base_dir=None)
    model.observe(notes)                  # completed notes, any source, any order
    for note in model.generate(request):  # streamed, seeded, inside [start, until]
        ...
    model.save("take.markov.json")        # JSON: load() it again to continue learning

See docs/markov.md for the model, its options and behaviours.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from conductor.backends.base import GenerationRequest, ModelError
from conductor.backends.markov.events import cluster, encode_all
from conductor.backends.markov.generate import Sampler, plan
from conductor.backends.markov.stream import OnlineLearner
from conductor.backends.markov.table import CountTable
from conductor.core.events import Note, Source
from conductor.core.timebase import Timebase
from conductor.piece.compiled import MarkovSpec, ModelSpec

log = logging.getLogger(__name__)

FORMAT = "conductor-markov"
VERSION = 1


class MarkovModel:
    """A `Model`: learns online from `observe`, answers `generate` by sampling its count tables.

    Not thread-safe (one caller at a time, like every `Model`). `observe` is cheap: amortised O(order)
    dictionary updates per note.
    """

    def __init__(
        self,
        spec: MarkovSpec | None = None,
        *,
        seed_table: CountTable | None = None,
        live_table: CountTable | None = None,
        timebase: Timebase | None = None,
    ) -> None:
        self.spec = spec or MarkovSpec()
        if self.spec.order < 0:
            raise ModelError(f"markov order must be 0 or more, got {self.spec.order}")
        self.seed_table = seed_table
        self.live = live_table or CountTable(self.spec.order)
        self._learner = OnlineLearner(self.live, timebase)
        self._learn_ai = self.spec.learn_from_ai

    @classmethod
    def from_spec(cls, spec: ModelSpec, base_dir: Path | None = None) -> MarkovModel:
        """The model a piece asks for: loads `markov.state` if set, builds (cached) seed tables."""
        mspec = spec.markov
        base = base_dir or Path.cwd()
        if mspec.state is not None:
            state = mspec.state if mspec.state.is_absolute() else base / mspec.state
            model = cls.load(state, mspec)
            model._learner.new_take()  # a new performance: the tables go on, the clock starts at 0
        else:
            model = cls(mspec)
        if mspec.seed and model.seed_table is None:
            from conductor.backends.markov.seeding import seed_table

            model.seed_table = seed_table(mspec.seed, mspec.order, base)
        return model

    @property
    def timebase(self) -> Timebase | None:
        """The tempo rhythm is learnt in (from the latest request; None until one arrives)."""
        return self._learner.timebase

    def observe(self, notes: Sequence[Note]) -> None:
        """Learn from notes as they complete: the human's always, the AI's when `learn_from_ai`."""
        self._learner.add(n for n in notes if n.source is Source.HUMAN or self._learn_ai)

    def generate(self, request: GenerationRequest) -> Iterator[Note]:
        """Stream notes for `request`; deterministic for a fixed `sampling.seed` (the engine derives one
        per generation: `conductor.core.seeds`)."""
        if request.timebase != self._learner.timebase:
            self._learner.set_timebase(request.timebase)
        self._learner.flush()
        self._learn_ai = request.markov.learn_from_ai
        order = min(request.markov.order, self.live.order)
        p = plan(request, order)
        tables = self._weighted(request)
        if p is None or not tables:
            return iter(())
        return Sampler(tables, request, p).notes(_rng(request))

    def _weighted(self, request: GenerationRequest) -> list[tuple[CountTable, float]]:
        w = min(1.0, max(0.0, request.markov.seed_weight))
        tables = [(t, wt) for t, wt in ((self.seed_table, w), (self.live, 1.0 - w)) if t and not t.empty]
        usable = [(t, wt) for t, wt in tables if wt > 0] or [(t, 1.0) for t, _ in tables]
        if usable:
            return usable
        cold = CountTable(self.live.order)  # nothing learnt yet: continue the context itself
        cold.learn_sequence(encode_all(cluster(request.context), request.timebase))
        return [(cold, 1.0)] if not cold.empty else []

    def save(self, path: str | Path) -> None:
        """Write the model (live and seed tables, tempo) as JSON, atomically."""
        path = Path(path)
        tb = self._learner.timebase
        data: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "timebase": None if tb is None else [tb.bpm, tb.beats_per_bar, tb.beat_unit],
            "live": self.live.to_json(),
            "learner": self._learner.to_json(),
            "seed": None if self.seed_table is None else self.seed_table.to_json(),
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, spec: MarkovSpec | None = None) -> MarkovModel:
        """A model saved by `save`, ready to continue learning. Raises ModelError if unreadable."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            if data.get("format") != FORMAT or data.get("version") != VERSION:
                raise ValueError(f"not a {FORMAT} v{VERSION} file")
            live = CountTable.from_json(data["live"])
            seed = None if data["seed"] is None else CountTable.from_json(data["seed"])
            tb = None if data["timebase"] is None else Timebase(*data["timebase"])
            model = cls(spec or MarkovSpec(order=live.order), seed_table=seed, live_table=live, timebase=tb)
            model._learner.load_json(data["learner"])
        except FileNotFoundError as exc:
            raise ModelError(
                f"markov state {path} not found: point `markov: state:` at a saved model or remove it"
            ) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot load markov state {path}: {exc}") from exc
        if model.spec.order != live.order:
            log.warning("markov state %s has order %d; using it, not %d", path, live.order, model.spec.order)
            model.spec = replace(model.spec, order=live.order)
        return model

    def close(self) -> None:
        """Nothing to release (the model lives in memory)."""


def _rng(request: GenerationRequest) -> np.random.Generator:
    seed = request.sampling.seed
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(seed & 0xFFFF_FFFF_FFFF_FFFF)
