"""`Answering`: when and what the AI answers in the current section.

For each section it keeps the `Cadence` (when a trigger is due, and a pressed `regenerate`); it
hears every human onset in its `BeatTracker` (tempo, phase, swing); at a trigger it asks the
`KeyTracker` for the human's key (once per generation, from the human over a longer window, with
hysteresis: the key a detected-key section plays in, and the frame a role model reads its context in
wherever the section names no key) and the tracked grid under the section's `feel`, has
`plan_generation` decide the generation, and starts it through `Turns`. A trigger under the
`replace` policy, a trading turn and a `regenerate` first cancel what runs (the first two also the
section's unsounded output).

Not thread-safe: the engine thread owns it.
"""

from __future__ import annotations

from conductor.core.beats import BeatTracker
from conductor.core.timebase import Timebase
from conductor.engine.cadence import Cadence, Trigger
from conductor.engine.filters.feel import feel_grid
from conductor.engine.keytrack import KeyTracker
from conductor.engine.plan import Frame, Heard, LiveParams, plan_generation
from conductor.engine.turns import Turns
from conductor.piece.compiled import Section
from conductor.piece.names import ExitPolicy, Overlap


class Answering:
    """Triggers, keys and plans of the current section (see the module docstring)."""

    def __init__(self, turns: Turns, lead: float) -> None:
        self.turns = turns
        self.lead = lead
        self.keys = KeyTracker()
        self.beats: BeatTracker | None = None  # the human's beat, from the piece's tempo (first `enter`)
        self.section: Section | None = None
        self.cadence: Cadence | None = None

    def enter(self, section: Section, tb: Timebase, start: float, resume_at: float | None = None) -> None:
        """Start answering in `section` (started at `start`; after a reload, from `resume_at`)."""
        self.section = section
        if self.beats is None or self.beats.nominal != tb.seconds_per_beat:
            self.beats = BeatTracker(tb.bpm)
        self.cadence = Cadence(section, tb, start, self.lead)
        if resume_at is not None:
            self.cadence.resume(resume_at)
        self.turns.new_section()

    def leave(self, t: float) -> None:
        """The section ends at `t`: stop decoding; cancel its output unless it is to ring."""
        ring = self.section is not None and self.section.on_exit is ExitPolicy.RING
        self.turns.cancel_all(t, close=not ring)

    def heard(self, end: float | None = None) -> None:
        """A human note began (`end` None) or ended at `end` (phrase-end cadence)."""
        if self.cadence is not None:
            self.cadence.heard(end)

    def onset(self, t: float) -> None:
        """A human note began at `t`: the beat tracker hears it."""
        if self.beats is not None:
            self.beats.onset(t)

    def clock(self, t: float, bpm: float | None) -> None:
        """An external clock's beat at `t` (at `bpm`; None: not measured yet) sets the beat tracker's grid."""
        if self.beats is not None:
            self.beats.clock(t, None if bpm is None else 60.0 / bpm)

    def clock_lost(self) -> None:
        """The external clock is gone: the tracker keeps its last tempo and follows the human again."""
        if self.beats is not None:
            self.beats.release()

    def regenerate(self, t: float, grid: str) -> None:
        """Answer now: a trigger on the next `grid` point."""
        if self.cadence is not None:
            self.cadence.regenerate(t, grid)

    def next_time(self) -> float | None:
        """When a trigger could next fire."""
        return self.cadence.next_time() if self.cadence is not None else None

    def answer(self, frame: Frame, heard: Heard, params: LiveParams, hold: bool) -> None:
        """Start the generation due at `heard.now`, if any (never in a silent section or while held)."""
        trigger = self._due(heard)
        section, t = self.section, heard.now
        if trigger is None or section is None or section.silent or hold:
            return
        replacing = section.cadence.overlap is Overlap.REPLACE or trigger.reason == "turn"
        if replacing or trigger.reason == "regenerate":
            self.turns.cancel_all(max(t, trigger.start), close=replacing)
        key = self.keys.update(heard.memory, t, section.listen.window, frame.timebase, heard.held)
        beats = feel_grid(section.feel, self.beats, frame.timebase)
        plan = plan_generation(section, frame, heard, key, params, trigger, self.turns.next_id, beats)
        self.turns.start(plan, trigger, section.name, t)

    def _due(self, heard: Heard) -> Trigger | None:
        if self.cadence is None:
            return None
        sounding = self.turns.sounding()
        running = bool(self.turns.running)
        return self.cadence.poll(heard.now, held=bool(heard.held), running=running, sounding=sounding)
