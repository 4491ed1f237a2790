"""Filters: pure functions on the AI's notes — key, chords, melody, density, range, velocity, horizon
and the turn window — run as a streaming `FilterChain` or in one go with `apply_filters`."""

from conductor.engine.filters.base import FilterContext, Stage
from conductor.engine.filters.chain import FilterChain, apply_filters, make_stage

__all__ = ["FilterChain", "FilterContext", "Stage", "apply_filters", "make_stage"]
