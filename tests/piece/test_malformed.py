"""Malformed pieces: every error is reported with its exact line, key path and a useful sentence."""

from __future__ import annotations

import pytest

from conductor.piece import PieceError, PieceErrors, load_piece_text

HEAD = "title: t\ntempo: 96\n"  # lines 1-2
ONE = "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"  # a valid sections list


def errors_of(text: str) -> list[PieceError]:
    with pytest.raises(PieceErrors) as info:
        load_piece_text(text, "p.yaml")
    return info.value.errors


# (id, text, line, key path, words in the message, suggestion)
CASES = [
    ("syntax", HEAD + "sections: [\n  - a\n", 4, "(syntax)", "YAML syntax error", None),
    ("tab indent", HEAD + "sections:\n\t- name: a\n", 4, "(syntax)", "YAML syntax error", None),
    ("unknown top key", HEAD + "tempi: 90\n" + ONE, 3, "tempi", "unknown key 'tempi'", "tempo"),
    ("tempo type", "tempo: fast\n" + ONE, 1, "tempo", "'fast' is not a number", None),
    ("tempo range", "tempo: 900\n" + ONE, 1, "tempo", "900 is too high", None),
    ("bad meter", HEAD + "meter: 4/5\n" + ONE, 3, "meter", "beat unit of 5", None),
    ("no sections", HEAD + "sections: []\n", 3, "sections", "the piece has no sections", None),
    ("missing sections", HEAD, 1, "sections", "'sections' is missing", None),
    ("empty file", "", 1, "(top level)", "the piece is empty", None),
    (
        "misspelt mode",
        HEAD + "sections:\n  - {name: a, mode: duett, length: 8 bars}\n",
        4,
        "sections[0].mode",
        "'duett' is not one of the choices",
        "duet",
    ),
    (
        "missing length",
        HEAD + "sections:\n  - {name: a, mode: duet}\n",
        4,
        "sections[0].length",
        "'length' is missing",
        None,
    ),
    (
        "bad unit",
        HEAD + "sections:\n  - {name: a, mode: duet, length: 8 barz}\n",
        4,
        "sections[0].length",
        "'barz' is not a unit of time",
        "8 bars",
    ),
    (
        "no unit",
        HEAD + "sections:\n  - {name: a, mode: duet, length: 8}\n",
        4,
        "sections[0].length",
        "8 has no unit",
        "8 bars",
    ),
    (
        "footswitch typo",
        HEAD + "sections:\n  - {name: a, mode: duet, length: foot switch}\n",
        4,
        "sections[0].length",
        "'foot switch' is not a duration",
        "footswitch",
    ),
    (
        "notes as time",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    cadence: {every: 16 notes}\n",
        7,
        "sections[0].cadence.every",
        "counts notes",
        None,
    ),
    (
        "duplicate section",
        HEAD + "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"
        "  - {name: a, mode: listen, length: 8 bars}\n",
        5,
        "sections[1].name",
        "two sections are called 'a' (also on line 4)",
        None,
    ),
    (
        "goto missing",
        HEAD + "sections:\n  - {name: intro, mode: duet, length: 8 bars, then: {goto: intr}}\n",
        4,
        "sections[0].then.goto",
        "there is no section called 'intr'",
        "intro",
    ),
    (
        "control goto missing",
        HEAD + "controls:\n  - {cc: 80, action: {goto: outro}}\n" + ONE,
        4,
        "controls[0].action.goto",
        "there is no section called 'outro'",
        None,
    ),
    (
        "two actions one message",
        HEAD + "controls:\n  - {cc: 80, action: next}\n  - {cc: 80, action: panic}\n" + ONE,
        5,
        "controls[1].cc",
        "cc 80 is already mapped on line 4",
        None,
    ),
    (
        "param on control cc",
        HEAD + "controls:\n  - {cc: 1, action: next}\n"
        "params:\n  - {cc: 1, param: temperature, range: [0.8, 1.2]}\n" + ONE,
        6,
        "params[0].cc",
        "cc 1 is already mapped on line 4",
        None,
    ),
    (
        "misspelt action",
        HEAD + "controls:\n  - {cc: 80, action: nxt}\n" + ONE,
        4,
        "controls[0].action",
        "'nxt' is not one of the choices",
        "next",
    ),
    (
        "control without message",
        HEAD + "controls:\n  - {action: next}\n" + ONE,
        4,
        "controls[0]",
        "a control needs exactly one message; it has none",
        None,
    ),
    (
        "channel 0",
        HEAD + "midi: {ai_channel: 0}\n" + ONE,
        3,
        "midi.ai_channel",
        "0 is too low",
        None,
    ),
    (
        "channel 17",
        HEAD + "controls:\n  - {cc: 80, channel: 17, action: next}\n" + ONE,
        4,
        "controls[0].channel",
        "17 is too high",
        None,
    ),
    (
        "chords min_notes",
        HEAD + "sections:\n  - name: a\n    mode: ai_chords\n    length: 8 bars\n"
        "    filters:\n      - chords: {min_notes: 1}\n",
        8,
        "sections[0].filters[0].chords.min_notes",
        "1 is too low",
        None,
    ),
    (
        "chords key typo",
        HEAD + "sections:\n  - name: a\n    mode: ai_chords\n    length: 8 bars\n"
        "    filters:\n      - chords: {min_note: 4}\n",
        8,
        "sections[0].filters[0].chords.min_note",
        "unknown key 'min_note'",
        "min_notes",
    ),
    (
        "unknown filter",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    filters:\n      - chord: 3\n",
        8,
        "sections[0].filters[0].chord",
        "unknown key 'chord'",
        "chords",
    ),
    (
        "two filters in one item",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    filters:\n      - {chords: 3, melody: highest}\n",
        8,
        "sections[0].filters[0]",
        "names chords and melody",
        None,
    ),
    (
        "range low above high",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    filters:\n      - range: {low: 90, high: 60}\n",
        8,
        "sections[0].filters[0].range.low",
        "range low 90 is above high 60",
        None,
    ),
    (
        "bad key name",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    filters:\n      - key: H minor\n",
        8,
        "sections[0].filters[0].key",
        "'H minor' is not a key",
        None,
    ),
    (
        "detect typo",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    filters:\n      - key: detct\n",
        8,
        "sections[0].filters[0].key",
        "'detct' is not a key",
        "detect",
    ),
    (
        "bad pitch name",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    filters:\n      - range: {low: X3}\n",
        8,
        "sections[0].filters[0].range.low",
        "'X3' is not a note",
        None,
    ),
    (
        "bars without tempo",
        "sections:\n  - name: a\n    mode: listen\n    length: 8 bars\n",
        4,
        "sections[0].length",
        "'8 bars' counts bars, but the piece has no tempo",
        None,
    ),
    (
        "mode default needs tempo",
        "sections:\n  - {name: a, mode: listen, length: 8 s}\n",
        2,
        "sections[0].mode",
        "listen.window (from mode listen) '4 bars'",
        None,
    ),
    (
        "turns outside trading",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    turns: {bars: 4}\n",
        7,
        "sections[0].turns",
        "turns only apply to trading",
        None,
    ),
    (
        "trading length not whole turns",
        HEAD + "sections:\n  - {name: a, mode: trading, length: 10 bars}\n",
        4,
        "sections[0].length",
        "10 bars is not a whole number of 4-bar turns",
        None,
    ),
    (
        "two cadence kinds",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    cadence: {every: 2 bars, phrase_end: 1 beat}\n",
        7,
        "sections[0].cadence",
        "this one has every and phrase_end",
        None,
    ),
    (
        "wrong type for listen",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    listen: 4 bars\n",
        7,
        "sections[0].listen",
        "'4 bars' is not a mapping",
        None,
    ),
    (
        "misspelt overlap",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    cadence: {overlap: replce}\n",
        7,
        "sections[0].cadence.overlap",
        "not one of the choices",
        "replace",
    ),
    (
        "duplicate key",
        HEAD + "tempo: 100\n" + ONE,
        3,
        "tempo",
        "'tempo' is written twice (first on line 2)",
        None,
    ),
    (
        "model typo",
        HEAD + "model: markof\n" + ONE,
        3,
        "model",
        "'markof' is not one of the choices",
        "markov",
    ),
    (
        "model mapping typo",
        HEAD + "model:\n  kind: markov\n  sampling: {temprature: 0.9}\n" + ONE,
        5,
        "model.sampling.temprature",
        "unknown key 'temprature'",
        "temperature",
    ),
    (
        "skytnt without checkpoint",
        HEAD + "model: skytnt\n" + ONE,
        3,
        "model",
        "the skytnt model needs a checkpoint",
        None,
    ),
    ("model wrong form", HEAD + "model: 3\n" + ONE, 3, "model", "3 is not valid here", None),
    (
        "then typo",
        HEAD + "sections:\n  - {name: a, mode: duet, length: 8 bars, then: stopp}\n",
        4,
        "sections[0].then",
        "'stopp' is not one of the choices",
        "stop",
    ),
    (
        "section model override typo",
        HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n"
        "    model: {sampling: {top_q: 0.9}}\n",
        7,
        "sections[0].model.sampling.top_q",
        "unknown key 'top_q'",
        "top_p",
    ),
    (
        "param range bounds",
        HEAD + "params:\n  - {cc: 1, param: top_p, range: [0.5, 1.5]}\n" + ONE,
        4,
        "params[0].range",
        "top_p range [0.5, 1.5] is out of bounds",
        None,
    ),
    ("not a mapping", "- just\n- a list\n", 1, "(top level)", "the piece is a list, not a mapping", None),
]


@pytest.mark.parametrize(("text", "line", "path", "words", "suggestion"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_malformed_piece_reports_line_path_and_message(
    text: str, line: int, path: str, words: str, suggestion: str | None
) -> None:
    errors = errors_of(text)
    matching = [e for e in errors if e.path == path]
    assert matching, f"no error at {path}: {[str(e) for e in errors]}"
    error = matching[0]
    assert error.line == line
    assert error.file == "p.yaml"
    assert words in error.message
    assert error.suggestion == suggestion
    assert f"p.yaml:{line}:" in str(error) and path in str(error)


def test_at_least_25_distinct_malformed_pieces() -> None:
    assert len({c[1] for c in CASES}) >= 25


def test_every_error_is_reported_at_once() -> None:
    text = (
        "tempo: 96\n"
        "modle: markov\n"  # 2
        "sections:\n"
        "  - {name: a, mode: lisen, length: 8 bars}\n"  # 4
        "  - {name: b, mode: duet, length: 8 brs, then: {goto: c}}\n"  # 5
    )
    errors = errors_of(text)
    assert [(e.line, e.path) for e in errors] == [
        (2, "modle"),
        (4, "sections[0].mode"),
        (5, "sections[1].length"),
        (5, "sections[1].then.goto"),
    ]
    assert str(PieceErrors(errors)).startswith("4 errors in piece")


def test_columns_point_at_the_value() -> None:
    (error,) = errors_of(HEAD + "sections:\n  - {name: a, mode: duett, length: 8 bars}\n")
    assert (error.line, error.column) == (4, 21)


def test_unknown_key_error_points_at_the_key_and_lists_choices() -> None:
    (error,) = errors_of(HEAD + "sections:\n  - name: a\n    mode: duet\n    length: 8 bars\n    lenght: 4\n")
    assert (error.line, error.column, error.path) == (7, 5, "sections[0].lenght")
    assert error.expected is not None and "length" in error.expected and "filters" in error.expected
    assert error.suggestion == "length"


def test_syntax_error_has_the_line_of_the_problem() -> None:
    (error,) = errors_of("title: x\ntempo: 96\nsections:\n  - name: a\n   mode: duet\n")
    assert error.line == 5
    assert "YAML syntax error" in error.message


def test_python_tags_are_refused_safely() -> None:
    (error,) = errors_of("title: !!python/object/apply:os.system ['echo hi']\n" + ONE)
    assert error.path == "(syntax)" and "python/object/apply" in error.message
