"""What a SkyTNT model has heard: its cached context, kept cheap to extend as the window slides.

The model keeps an *anchor* (a bar-line origin, a timebase and the notes since, in onset order) whose
token rows the decoder's cache holds. Each request's window is merged into it instead of replacing
it, so a window that slides forward extends the cached rows and only new events are prefilled; notes
passed to `observe` are prefilled as they arrive, so a trigger mostly decodes. `max_context` (768
notes, or twice the longest window asked for, within the model's positions) bounds the anchor: past
three quarters of it, the next anchor (from a later bar line) is prefilled in the background by
`work()`, between requests and pausing for them (`slide.py`), and swapped in whole; notes that would
make the live cache recompute far back wait for it too. A trigger whose window the cache has heard
but for its last beat decodes from the cache as it stands, with no prefill before its first note.
Only a new timebase, an earlier origin, a role model's new frame (key, role), or a full anchor with
no next one started restart the context at a trigger. Not thread-safe.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from conductor.backends.base import GenerationRequest
from conductor.backends.skytnt.generate import Decoder
from conductor.backends.skytnt.rolecontext import RoleFrame, context_rows, frame_for
from conductor.backends.skytnt.roles import AI_CHANNEL
from conductor.backends.skytnt.slide import Slide, cut, far, merge
from conductor.backends.skytnt.speculative import SpeculativeDecoder
from conductor.backends.skytnt.voices import voiced_score
from conductor.core.events import Note
from conductor.core.timebase import Timebase, bar_origin

TPB = 480
SETUP_ROWS = 32  # token rows besides the notes: BOS, tempo, meter, key and a program per channel
LIVE_ROWS = 96  # the most rows a heard note may make the live cache recompute (~0.3 s, tv2o-medium)
Rows = tuple[list[list[int]], tuple[int, ...]]  # token rows and the AI's score channels


class Listening:
    """The anchor, the next one (`slide`), and how far the decoder's cache holds the anchor."""

    def __init__(self, source: Decoder | SpeculativeDecoder, decoder: Decoder, max_context: int,
                 role_key: str | None) -> None:  # fmt: skip
        self.source, self.decoder, self.tokenizer = source, decoder, decoder.tokenizer
        self.max_context = max_context
        self.role_key = role_key
        self.notes: list[Note] = []  # the anchor context, in onset order
        self.origin: float | None = None
        self.tb: Timebase | None = None
        self.window = 0.0  # seconds of context the last request asked for
        self.voices: tuple[int, ...] = ()  # the score channels the AI decodes on (see voices.py)
        self.frame = RoleFrame()  # a role model's frame for the current generation
        self.streaming = False  # a generation is between events: its rows must stay in the cache
        self.slide = Slide(decoder, self.tokenize, LIVE_ROWS // 2)  # the next anchor, in the background
        self._later: list[Note] = []  # heard while a generation streamed, or not yet prefilled
        self._tokenized: list[tuple[Any, Rows]] = []
        self._heard_until = -math.inf  # the onset of the latest note the cache has prefilled
        self._cached: tuple[int, torch.Tensor] | None = None  # the anchor's rows cached, the last output

    def observe(self, notes: Sequence[Note], pause: Callable[[], bool] | None = None) -> None:
        """Add heard notes to the anchor and prefill them (after the first generation set a timebase);
        those that would make the cache recompute far back wait for the next anchor (`slide.py`). With
        `pause`, the prefill stops as soon as `pause()` is true: the request waiting prefills the rest
        with its own context, in one pass."""
        if self.origin is None or self.tb is None or not notes:
            return
        if self.streaming:  # prefilling now would cut off the generation's own rows mid-answer
            self._later.extend(notes)
            return
        self.source.prefill(self._take(notes), pause)
        self._mark_heard(complete=self.decoder.cache.length == len(self.decoder.rows))  # or paused
        if len(self.notes) > self.max_context * 3 // 4 and not self.slide.active:
            self._rebase()  # the next anchor is prepared in the background, before a trigger must

    def work(self, pause: Callable[[], bool]) -> bool:
        """Background work between requests: fill the next anchor's cache in slices that end as soon
        as `pause()` is true, and swap it in when complete. True while some remains."""
        if self.streaming or not self.slide.active:
            return False
        if not self.slide.work(pause):
            return True
        self._swap()
        return False

    def _swap(self) -> None:
        """The next anchor (complete) replaces the live one, cache and all."""
        self.origin, self.notes, self.voices, complete = self.slide.take()
        self._cached = None
        self._mark_heard(complete)  # else the next observe or trigger prefills the tail

    def close(self) -> None:
        """Forget the context."""
        self.decoder.reset()
        self.slide.drop()
        self.notes, self.origin, self._later = [], None, []
        self._cached, self._heard_until = None, -math.inf

    def ready(self, request: GenerationRequest) -> None:
        """The decoder ready for `request`: its window merged in and prefilled, or the cache as it
        stands where it is recent enough (no prefill before the first note)."""
        rows = self._adopt(request)
        if rows is None:
            assert self._cached is not None
            self.decoder.rewind(*self._cached)
        else:
            self.source.prefill(rows)
            self._mark_heard()

    def _mark_heard(self, complete: bool = True) -> None:
        """After a prefill of the anchor's rows: how far the cache holds them (`complete`: every note;
        else, paused, the rows marked before still hold where the prefill kept them)."""
        hidden = self.decoder.hidden
        if complete:
            self._cached = (self.decoder.cache.length, hidden) if hidden is not None else None
            self._heard_until = self.notes[-1].onset if self.notes else -math.inf
        elif self._cached is not None and self.decoder.kept < self._cached[0]:
            self._cached = None

    def _adopt(self, request: GenerationRequest) -> list[list[int]] | None:
        """Merge the request's window into the anchor, or restart the anchor from it; the rows to
        decode after. The anchor may hold twice the window (so it slides for a while before the next
        one takes over), within the positions the model has once the answer's rows are kept free; a
        longer window keeps its latest notes. A new timebase, an earlier origin or a role model's new
        frame (key, role) restart it; so does outgrowing `max_context` with no next anchor ready."""
        self.window = max(0.0, request.start - request.origin)
        room = self.decoder.net.max_positions - request.max_events - SETUP_ROWS
        context = request.context[-room:] if len(request.context) > room else request.context
        self.max_context = max(self.max_context, min(room, 2 * len(context)))
        frame = frame_for(request, self.role_key) if self.role_key is not None else self.frame
        same = self.origin is not None and self.tb == request.timebase and frame == self.frame
        fits = same and self._fits(context)
        if same and not fits and self.slide.active:
            self.slide.work(lambda: False)  # the next anchor is needed now: finish it
            self._swap()
            fits = self._fits(context)
        if same and self.origin is not None and request.origin >= self.origin and fits:
            return None if self._recent_enough(context, request.start) else self._take(context)
        self.frame, self.tb, self.origin, self._later = frame, request.timebase, request.origin, []
        self.slide.drop()
        self.notes = merge([], context)
        rows, self.voices = self.tokenize(self.notes, request.origin)
        return rows

    def _take(self, notes: Sequence[Note]) -> list[list[int]]:
        """Merge `notes` into the anchor where its cache extends cheaply; the rows to prefill. Notes that
        would make it recompute over `LIVE_ROWS` rows further back than the anchor itself needs (a long
        note heard at its release, a part's first note changing the score's header) are heard by the
        next anchor only (every note is), prepared in the background (`work`)."""
        assert self.origin is not None
        fresh = [n for n in [*self._later, *notes] if n.onset >= self.origin]
        self._later = []
        self.slide.hear(fresh)
        cached, base = self.decoder.rows[: self.decoder.cache.length], None
        for part in (fresh, self._recent(fresh), []):
            rows, voices = self.tokenize(merge(self.notes, part), self.origin)
            if not part or not cached or not far(cached, rows, LIVE_ROWS):
                break
            base = base or self.tokenize(self.notes, self.origin)[0]
            if cut(cached, rows) + LIVE_ROWS >= cut(cached, base):  # the anchor's own rows, not the notes
                break
        if len(part) < len(fresh) and not self.slide.active:
            self.slide.start(self.origin, merge(self.notes, fresh))
        self.notes, self.voices = merge(self.notes, part), voices
        return rows

    def _recent_enough(self, context: Sequence[Note], start: float) -> bool:
        """Whether the cache as it stands may answer: it has heard every note of `context` but those of
        the beat before `start` (at most), and holds the output of its last row. The notes it lacks are
        taken at the next observe or trigger: a prefill on the critical path costs more than the first
        note may wait (9 rows: 64–98 ms for tv2o-medium, float16, one thread of this CPU)."""
        assert self.tb is not None
        if self._cached is None or self._cached[0] == 0:
            return False
        since = start - self.tb.seconds_per_beat
        unheard = [n for n in context if n.onset > self._heard_until]
        if any(n.onset < since for n in unheard):
            return False
        self._later.extend(unheard)
        return True

    def _fits(self, context: Sequence[Note]) -> bool:
        """The anchor with `context` merged in stays within `max_context`."""
        assert self.origin is not None
        more = [n for n in context if n.onset >= self.origin]
        return len(merge(self.notes, more)) <= self.max_context

    def _recent(self, notes: Sequence[Note]) -> list[Note]:
        """`notes` no earlier than the anchor's latest `LIVE_ROWS // 2` notes (all for a short anchor)."""
        if len(self.notes) <= LIVE_ROWS // 2:
            return list(notes)
        since = self.notes[-(LIVE_ROWS // 2)].onset
        return [n for n in notes if n.onset >= since]

    def _rebase(self) -> None:
        """Start the next anchor from a later bar line: the latest `max_context // 2` notes of the window."""
        assert self.tb is not None
        since = bar_origin(self.notes[-1].onset - self.window, self.tb)
        notes = [n for n in self.notes if n.onset >= since][-self.max_context // 2 :]
        if notes:  # the bar line at or before the first note kept
            self.slide.start(bar_origin(notes[0].onset, self.tb), notes)

    def tokenize(self, notes: Sequence[Note], origin: float) -> tuple[list[list[int]], tuple[int, ...]]:
        """The token rows of `notes` from `origin` (no EOS: the model continues), and the score
        channels the AI decodes on. The last two results are kept: a trigger whose window brings no
        new note skips the tokenizer (~20 ms for 1500 notes)."""
        assert self.tb is not None
        key = (origin, self.tb, self.frame, tuple(notes))
        for seen, result in self._tokenized:
            if seen == key:
                return result
        if self.role_key is not None:
            result = context_rows(self.tokenizer, notes, origin, self.tb, self.frame), (AI_CHANNEL,)
        else:
            voiced = voiced_score(notes, origin, self.tb, TPB, self.tokenizer.event_parameters["channel"])
            result = self.tokenizer.tokenize(voiced.score)[:-1], voiced.ai_channels  # no EOS
        self._tokenized = [(key, result), *self._tokenized[:1]]
        return result
