"""The Markov backend: a variable-order (Continuator-style) model that learns the performer live."""

from conductor.backends.markov.backend import MarkovModel

__all__ = ["MarkovModel"]
