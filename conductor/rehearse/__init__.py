"""Rehearsal: a whole piece played against a recorded human on a virtual clock."""

from conductor.rehearse.human import HumanInput, Press, read_human
from conductor.rehearse.rehearsal import Rehearsal, rehearse
from conductor.rehearse.take import Take

__all__ = ["HumanInput", "Press", "Rehearsal", "Take", "read_human", "rehearse"]
