"""The tokenizer class shared by v1 and v2: the tokenize pipeline and detokenize.

`tokenize(score)` runs: collect (quantise, de-duplicate, clip same-pitch notes) → optional remap of
tracks and channels → optional default instruments → (v2) key signatures → sort → opening setup →
encode time steps. Every step reproduces SkyTNT's midi_tokenizer.py, quirks included, so the rows
match what checkpoints were trained on. The class is a `TokenLayout`, so all id tables are
attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conductor.backends.skytnt.tokenizer.arrange import encode, gather_setup, sort_key
from conductor.backends.skytnt.tokenizer.collect import Collected, Origins, Thresholds, bpm_to_tempo, collect
from conductor.backends.skytnt.tokenizer.layout import Event, TokenFormat, TokenLayout
from conductor.backends.skytnt.tokenizer.remap import Remapped, remap

Score = list[Any]  # [ticks_per_beat, track, ...]; each track a list of events (MIDI.py "score")
DETOKENIZE_TPB = 480  # detokenized scores always use 480 ticks per beat


@dataclass(frozen=True)
class Options:
    """The switches of one `tokenize` call (None = follow `optimise_midi`)."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    remap_track_channel: bool = False
    add_default_instr: bool = False
    remove_empty_channels: bool = False


@dataclass
class Trace:
    """What one tokenize call did, for diagnostics (`dropped_notes`, `safe_context_score`)."""

    collected: list[Event] = field(default_factory=list)  # events after the first pass
    setup_end: int = -1  # index in the sorted list where the opening setup ended
    sorted_events: list[Event] = field(default_factory=list)
    encoded: list[Event] = field(default_factory=list)  # events that became rows
    origins: Origins = field(default_factory=dict)  # id(note event) -> (event, (track, index))


class SkyTNTTokenizer(TokenLayout):
    """A SkyTNT MIDI tokenizer (subclasses fix the format). Not thread-safe only in that
    `optimise_midi` is a plain attribute; tokenize/detokenize keep no state between calls."""

    def __init__(self, fmt: TokenFormat, optimise_midi: bool = False) -> None:
        super().__init__(fmt)
        self.optimise_midi = optimise_midi

    @property
    def name(self) -> str:
        """The short name: "v1", "v2" or "v2o"."""
        return self.version + ("o" if self.optimise_midi else "")

    def to_config_dict(self) -> dict[str, Any]:
        """The `tokenizer` entry of a checkpoint's config.json, as upstream writes it."""
        return {
            "version": self.version,
            "optimise_midi": self.optimise_midi,
            "vocab_size": self.vocab_size,
            "events": {k: list(v) for k, v in self.events.items()},
            "event_parameters": dict(self.event_parameters),
            "max_token_seq": self.max_token_seq,
            "pad_id": self.pad_id,
            "bos_id": self.bos_id,
            "eos_id": self.eos_id,
        }

    def options(
        self,
        cc_eps: int = 4,
        tempo_eps: int = 4,
        remap_track_channel: bool | None = None,
        add_default_instr: bool | None = None,
        remove_empty_channels: bool | None = None,
    ) -> Options:
        """Resolve tokenize's keyword arguments the way upstream does."""
        opt = self.optimise_midi
        return Options(
            Thresholds(cc_eps, tempo_eps),
            opt if remap_track_channel is None else remap_track_channel,
            opt if add_default_instr is None else add_default_instr,
            opt if remove_empty_channels is None else remove_empty_channels,
        )

    def tokenize(
        self,
        score: Score,
        add_bos_eos: bool = True,
        cc_eps: int = 4,
        tempo_eps: int = 4,
        remap_track_channel: bool | None = None,
        add_default_instr: bool | None = None,
        remove_empty_channels: bool | None = None,
    ) -> list[list[int]]:
        """Token rows for `score`, each padded to `max_token_seq`; BOS and EOS rows by default."""
        opts = self.options(cc_eps, tempo_eps, remap_track_channel, add_default_instr, remove_empty_channels)
        rows = self.tokenize_traced(score, opts, Trace())
        return [self.bos_row(), *rows, self.eos_row()] if add_bos_eos else rows

    def tokenize_traced(self, score: Score, opts: Options, trace: Trace) -> list[list[int]]:
        """The tokenize pipeline without BOS/EOS, recording its steps in `trace`."""
        col = collect(score, self.format, opts.thresholds)
        events = list(col.events.values())
        trace.collected = list(events)
        trace.origins = col.origins
        if opts.remap_track_channel:
            mapped = remap(col, events, self.format, opts.remove_empty_channels)
        else:
            empty = [c for c in col.channels if c not in col.note_channels]
            mapped = Remapped(col.channels, {}, empty, col.patch_channels, col.first_note_track)
        self.finish_events(events, col, mapped, opts)
        if opts.add_default_instr:
            for c in mapped.channels:
                if c not in mapped.patch_channels and c in mapped.first_note_track:
                    events.append(["patch_change", 0, 0, mapped.first_note_track[c], c, 0])
        key = sort_key(self.format)
        events = sorted(events, key=key)
        trace.sorted_events = events
        events, trace.setup_end = gather_setup(events, self.format, key, trace.origins)
        rows, trace.encoded = encode(events, self, mapped.empty_channels, opts.remove_empty_channels)
        return rows

    def finish_events(self, events: list[Event], col: Collected, mapped: Remapped, opts: Options) -> None:
        """Version hook between remapping and default instruments (v2: key signatures)."""

    def detokenize(self, rows: list[list[int]]) -> Score:
        """A score (480 ticks per beat, one list per used track, in track order) from token rows.

        Rows that are not events (BOS, EOS, padding, malformed) are skipped. Overlapping notes of
        the same channel and pitch on a track are cut where the next one starts; notes cut to
        nothing are removed.
        """
        tracks: dict[int, list[list[Any]]] = {}
        t1 = 0
        for row in rows:
            event = self.tokens2event(row)
            if event is None:
                continue
            t1 += event[1]
            ticks = int((t1 * 16 + event[2]) * DETOKENIZE_TPB / 16)
            score_event = self.score_event(event, ticks)
            if score_event is not None:
                tracks.setdefault(event[3], []).append(score_event)
        return [DETOKENIZE_TPB, *(_cut_overlaps(tracks[k]) for k in sorted(tracks))]

    def score_event(self, event: Event, ticks: int) -> list[Any] | None:
        """The score event for one decoded token event (overridden per version)."""
        raise NotImplementedError

    @staticmethod
    def ticks_of(sixteenths: int) -> int:
        """Ticks (at 480 per beat) of a duration in 16ths."""
        return int(sixteenths * DETOKENIZE_TPB / 16)

    @staticmethod
    def tempo_of(bpm: int) -> int:
        """Microseconds per beat of a bpm token."""
        return bpm_to_tempo(bpm)


def _cut_overlaps(track: list[list[Any]]) -> list[list[Any]]:
    track = sorted(track, key=lambda e: e[1])
    next_start: dict[tuple[int, int], int] = {}
    for e in reversed(track):
        if e[0] != "note":
            continue
        key = (e[3], e[4])
        if key in next_start:
            e[2] = min(e[2], max(next_start[key] - e[1], 0))
        next_start[key] = e[1]
    return [e for e in track if e[0] != "note" or e[2] != 0]
