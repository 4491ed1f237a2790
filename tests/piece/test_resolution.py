"""Resolution order (mode ← defaults ← section), compiled values, and immutability."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conductor.core.events import Source
from conductor.core.keys import parse_key
from conductor.core.timebase import Span, Unit
from conductor.piece import compiled as c
from conductor.piece import load_piece_text
from conductor.piece.modes import PRESETS


def piece(sections: str, head: str = "title: t\ntempo: 96\n") -> c.Piece:
    return load_piece_text(head + sections)


def test_mode_defaults_apply_when_nothing_is_written() -> None:
    s = piece("sections:\n  - {name: a, mode: ai_chords, length: 8 bars}\n").sections[0]
    assert s.listen == c.ListenSpec(frozenset({Source.HUMAN}), Span(4, Unit.BARS), 256)
    assert s.cadence == c.Every(every=Span(2, Unit.BARS), overlap=c.Overlap.REPLACE)
    assert s.output == c.OutputSpec(events=24, horizon=Span(2, Unit.BARS))
    assert s.filters == (
        c.KeyFilter(c.DetectKey(), c.KeyAction.SNAP),
        c.ChordsFilter(3, Span(0.05, Unit.SECONDS)),
        c.RangeFilter(36, 72),
        c.VelocityFilter(scale=0.8),
    )
    assert not s.silent


def test_defaults_override_mode_and_section_overrides_defaults_key_by_key() -> None:
    text = (
        "defaults:\n  listen: {window: 8 bars, max_events: 100}\n  cadence: {overlap: wait}\n"
        "sections:\n  - name: a\n    mode: ai_solo\n    length: 8 bars\n    listen: {max_events: 50}\n"
        "  - {name: b, mode: ai_solo, length: 8 bars}\n"
    )
    a, b = piece(text).sections
    assert a.listen == c.ListenSpec(frozenset({Source.HUMAN, Source.AI}), Span(8, Unit.BARS), 50)
    assert b.listen.max_events == 100
    assert a.cadence.every == Span(2, Unit.BARS) and a.cadence.overlap is c.Overlap.WAIT


def test_section_cadence_kind_replaces_the_inherited_kind() -> None:
    text = "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    cadence: {phrase_end: 1 beat}\n"
    cadence = piece(text).sections[0].cadence
    assert cadence == c.PhraseEnd(silence=Span(1, Unit.BEATS), overlap=c.Overlap.OVERLAP)


def test_filters_merge_by_kind_in_the_written_order() -> None:
    text = (
        "defaults:\n  filters:\n    - range: {low: 40}\n"
        "sections:\n  - name: a\n    mode: ai_chords\n    length: 8 bars\n    filters:\n"
        "      - melody: lowest\n      - key: off\n      - chords: 4\n"
    )
    filters = piece(text).sections[0].filters
    assert filters == (
        c.VelocityFilter(scale=0.8),  # inherited, not mentioned by the section: first
        c.RangeFilter(40, 72),  # the defaults changed only `low`; the mode's high is kept
        c.MelodyFilter(c.MelodyLine.LOWEST),
        c.ChordsFilter(4, Span(0.05, Unit.SECONDS)),  # window inherited from the mode
    )


def test_fixed_key_with_drop_and_note_names() -> None:
    text = (
        "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    filters:\n"
        "      - {key: bb minor, action: drop}\n      - range: {low: C3, high: 'F#5'}\n"
    )
    filters = piece(text).sections[0].filters
    assert filters == (
        c.KeyFilter(c.FixedKey(parse_key("Bb minor")), c.KeyAction.DROP),
        c.RangeFilter(48, 78),
    )
    assert filters[0].key.key.name == "Bb minor"  # type: ignore[union-attr]


def test_trading_turns_window_and_output_follow_the_turn() -> None:
    text = (
        "defaults:\n  cadence: {every: 1 bar}\n"
        "sections:\n  - name: a\n    mode: trading\n    length: 16 bars\n    turns: {bars: 8, starts: ai}\n"
    )
    s = piece(text).sections[0]
    assert s.cadence == c.AtTurns(8, Source.AI, c.Overlap.REPLACE)  # the defaults' `every` does not apply
    assert s.listen.window == Span(8, Unit.BARS)
    assert s.output.horizon == Span(8, Unit.BARS)
    assert s.on_exit is c.ExitPolicy.RING


def test_listen_mode_is_silent_and_then_links() -> None:
    text = (
        "sections:\n  - {name: a, mode: listen, length: 45 s}\n"
        "  - {name: b, mode: duet, length: footswitch, then: {goto: a}}\n"
        "  - {name: c, mode: duet, length: 32 beats, then: loop}\n"
        "  - {name: d, mode: duet, length: 1.5 bars}\n"
    )
    a, b, cc, d = piece(text).sections
    assert a.silent and a.filters == () and a.length == Span(45, Unit.SECONDS)
    assert a.then == c.Then(c.ThenKind.NEXT)
    assert b.length is None and b.then == c.Then(c.ThenKind.GOTO, "a")
    assert cc.then == c.Then(c.ThenKind.LOOP) and cc.length == Span(32, Unit.BEATS)
    assert d.then == c.Then(c.ThenKind.STOP) and d.length == Span(1.5, Unit.BARS)  # the last one stops


def test_channels_and_programs_are_one_based_in_yaml_and_zero_based_compiled() -> None:
    text = (
        "midi: {input: Key, output: Synth, ai_channel: 16, program: 1}\n"
        "controls:\n  - {note: 36, channel: 10, action: {goto: a}}\n"
        "  - {cc: 80, threshold: 100, action: hold}\n"
        "params:\n  - {cc: 1, channel: 1, param: temperature, range: [0.7, 1.3]}\n"
        "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"
    )
    p = piece(text)
    assert p.routing == c.RoutingSpec("Key", "Synth", None, ai_channel=15, program=0)
    assert p.actions == (
        c.ActionMapping(c.MidiTrigger(c.TriggerKind.NOTE, 36, channel=9), c.Action.GOTO, "a"),
        c.ActionMapping(c.MidiTrigger(c.TriggerKind.CC, 80, threshold=100), c.Action.HOLD),
    )
    assert p.params == (c.ParamMapping(1, "temperature", 0.7, 1.3, channel=0),)


def test_model_short_form_mapping_form_and_section_override() -> None:
    text = (
        "model:\n  kind: markov\n  sampling: {temperature: 0.9, seed: 3}\n"
        "  markov: {order: 3, seed: ['corpus:bach']}\n"
        "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"
        "  - {name: b, mode: duet, length: 8 bars, model: {sampling: {temperature: 1.2}}}\n"
    )
    p = piece(text)
    assert p.model.sampling == c.SamplingSpec(temperature=0.9, seed=3)
    assert p.model.markov.seed == ("corpus:bach",) and p.model.markov.order == 3
    assert p.sections[0].model == p.model
    assert p.sections[1].model.sampling == c.SamplingSpec(temperature=1.2, seed=3)
    assert p.sections[1].model.markov == p.model.markov
    short = piece(
        "model: {kind: skytnt, config: tv2o-medium}\n"
        "sections:\n  - {name: a, mode: duet, length: 8 bars, model: markov}\n"
    )
    assert short.sections[0].model.kind == "markov"  # section's short form overrides the kind


def test_skytnt_checkpoint_stays_relative_and_timebase_from_meter() -> None:
    text = "meter: 6/8\nmodel: {kind: skytnt, checkpoint: ../models/x, dtype: bfloat16}\n"
    p = load_piece_text(text + "tempo: 120\nsections:\n  - {name: a, mode: duet, length: 2 bars}\n", "p.yaml")
    assert p.model.checkpoint == Path("../models/x") and p.model.dtype == "bfloat16"
    assert (p.timebase.bpm, p.timebase.beats_per_bar, p.timebase.beat_unit) == (120, 6, 8)
    assert p.path == Path("p.yaml") and p.changes_on == "bar"


def test_free_time_piece_uses_seconds_and_changes_now() -> None:
    text = "sections:\n  - {name: a, mode: listen, length: 30 s, listen: {window: 10 s}}\n"
    p = load_piece_text(text, "free.yaml")
    assert p.changes_on == "now" and p.title == "free"


def test_compiled_piece_is_frozen() -> None:
    p = piece("sections:\n  - {name: a, mode: duet, length: 8 bars}\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.title = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.sections[0].listen.max_events = 3  # type: ignore[misc]
    assert isinstance(p.sections, tuple) and isinstance(p.sections[0].filters, tuple)
    assert isinstance(p.sections[0].listen.sources, frozenset)


def test_loading_does_not_mutate_presets() -> None:
    before = repr(PRESETS)
    piece(
        "sections:\n  - name: a\n    mode: ai_chords\n    length: 8 bars\n    filters: [{range: {low: 50}}]\n"
    )
    piece("sections:\n  - {name: a, mode: ai_chords, length: 8 bars}\n")
    assert repr(PRESETS) == before


def test_docs_hold_the_mode_table_verbatim() -> None:
    from conductor.piece.modes import mode_table

    docs = Path(__file__).resolve().parents[2] / "docs" / "piece-language.md"
    assert mode_table() in docs.read_text()


def test_the_whole_piece_example_in_the_docs_checks() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "piece-language.md").read_text()
    example = docs.split("## A whole piece\n\n```yaml\n", 1)[1].split("```", 1)[0]
    piece = load_piece_text(example)
    assert [s.name for s in piece.sections] == ["intro", "fours"]


def test_the_horizon_is_one_span_the_tighter_of_span_and_horizon() -> None:
    text = (
        "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"  # preset: span 1 bar, horizon 2 bars
        "  - {name: b, mode: duet, length: 8 bars, output: {span: 4 bars, horizon: 3 s}}\n"
        "  - {name: c, mode: listen, length: 8 bars}\n"  # nothing written: the OutputSpec default
        "  - {name: d, mode: trading, length: 8 bars, turns: {bars: 2}, output: {span: 1 bar}}\n"
    )
    a, b, cc, d = piece(text).sections  # 96 bpm: a bar is 2.5 s
    assert a.output.horizon == Span(1, Unit.BARS)
    assert b.output.horizon == Span(3, Unit.SECONDS)
    assert cc.output.horizon == c.OutputSpec().horizon == Span(2, Unit.BARS)
    assert d.output.horizon == Span(1, Unit.BARS)  # tighter than the 2-bar turn


def test_presets_are_typed_settings_the_schema_accepts() -> None:
    from conductor.piece.names import Mode
    from conductor.piece.settings import SettingsRaw

    for mode, preset in PRESETS.items():
        assert isinstance(mode, Mode) and isinstance(preset, SettingsRaw)
        assert SettingsRaw.model_validate(preset.model_dump(exclude_none=True)) == preset
