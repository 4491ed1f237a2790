"""Time that follows the player: the AI's notes placed on the human's tracked beat, with the section's feel.

The model decodes in the piece's time (its tempo from `tempo:`, its grid from bar 1). `FeelStage`, the
last stage of a generation's chain, moves every note from that grid onto the grid `BeatTracker` hears
the human play (`conductor.core.beats`): the window's first beat goes to the tracked beat nearest it,
each note keeps its position in beats from there at the tracked period, and eighths are swung as the
section's `feel` asks. A filter stage rather than a change to the model's clock because it is the one
place both backends' notes pass, it is pure (tested like any filter) and the model's own timing is
untouched; the cost is that a whole answer uses the grid heard when it was asked for.

The map is monotonic (the stream stays in onset order), never moves a note before the window's start
(the time the model was asked for) and, in a trading turn (`clip`), keeps every note inside the turn.
"""

from __future__ import annotations

from conductor.core.beats import BeatGrid, BeatTracker
from conductor.core.events import Note
from conductor.core.timebase import Timebase
from conductor.engine.filters.base import EPS, FilterContext, MapStage
from conductor.engine.scheduler import MIN_NOTE_S
from conductor.piece.names import Feel

SWING = 2.0  # `feel: swing` while the human plays straight: triplet swing
AUDIBLE_S = 0.04  # the grid never shortens a note below this (or its own length): a swung 16th stays a note
UNHEARD_S = 0.02  # a tracked grid this close to the piece's own (phase, and period over a bar) is the piece's


def feel_grid(feel: Feel, tracker: BeatTracker | None, tb: Timebase) -> BeatGrid | None:
    """The grid a generation's notes go on under `feel` (None: the piece's own, the notes stay put).

    Before the tracker is confident it is the piece's grid (swung for `feel: swing`); a tracked grid
    whose latest beat is within `UNHEARD_S` of one of the piece's, and whose bar is within `UNHEARD_S`
    of the piece's, counts as the piece's: a steady player's jitter does not move the answer.
    """
    nominal = tb.seconds_per_beat
    grid = tracker.grid() if tracker is not None and tracker.confident else BeatGrid(0.0, nominal)
    drift = abs(grid.period - nominal) * tb.beats_per_bar
    phase = abs(grid.anchor / nominal - round(grid.anchor / nominal)) * nominal
    if drift < UNHEARD_S and phase < UNHEARD_S:
        grid = BeatGrid(0.0, nominal)
    heard = tracker.swing if tracker is not None else 1.0
    swing = {Feel.STRAIGHT: 1.0, Feel.SWING: heard if heard > 1.0 else SWING, Feel.FOLLOW: heard}[feel]
    if swing == 1.0 and grid == BeatGrid(0.0, nominal):
        return None
    return BeatGrid(grid.anchor, grid.period, swing)


class FeelStage(MapStage):
    """Move each note from the piece's grid onto `ctx.beats` (see the module docstring)."""

    def __init__(self, grid: BeatGrid, ctx: FilterContext) -> None:
        self.grid, self.ctx = grid, ctx
        self.nominal = ctx.timebase.seconds_per_beat
        self.first = round(grid.beat_at(ctx.start))  # the tracked beat the window's start goes to

    def place(self, t: float) -> float:
        """Where time `t` of the piece's grid goes on the tracked one."""
        return self.grid.time_of(self.first + (t - self.ctx.start) / self.nominal)

    def apply(self, note: Note) -> Note | None:
        onset = max(self.ctx.start, self.place(note.onset))
        end = max(onset + min(note.duration, AUDIBLE_S), self.place(note.end))
        if self.ctx.clip:
            if onset > self.ctx.until - MIN_NOTE_S - EPS:
                return None  # too little of the turn left for a note the scheduler would send
            end = min(end, self.ctx.until)
        return note.with_(onset=onset, duration=end - onset)
