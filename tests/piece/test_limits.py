"""Hostile and broken piece files: every one is a clean error naming the place and the allowed range.

Numbers out of every range, lengths that would make the navigator spin, YAML that would take the
parser's time and memory (deep nesting, aliases of aliases), files that are not text files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conductor.piece import PieceError, PieceErrors, load_piece, load_piece_text
from conductor.piece.limits import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH

ONE = "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"  # line 2 of a piece after one line
BIG = "9" * 5000


def errors_of(text: str) -> list[PieceError]:
    with pytest.raises(PieceErrors) as info:
        load_piece_text(text, "p.yaml")
    return info.value.errors


def one_error(text: str) -> PieceError:
    errors = errors_of(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def section(**keys: str) -> str:
    """A piece at 96 bpm with one section (line 3) written with `keys` over duet/8 bars."""
    fields = {"name": "a", "mode": "duet", "length": "8 bars", **keys}
    return "tempo: 96\nsections:\n  - {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n"


T96 = "tempo: 96\n"
S0 = "sections[0]"
# (id, text, line, key path, words in the message, words in `expected`)
NUMBERS = [
    ("5000-digit tempo", f"tempo: {BIG}\n" + ONE, 1, "tempo", "out of range", "from 20 to 400"),
    ("infinite tempo", "tempo: .inf\n" + ONE, 1, "tempo", "out of range", "from 20 to 400"),
    ("nan tempo", "tempo: .nan\n" + ONE, 1, "tempo", "'.nan' is not a number", "from 20 to 400"),
    ("1e308 tempo", "tempo: 1e308\n" + ONE, 1, "tempo", "too high", "at most 400"),
    ("negative tempo", "tempo: -96\n" + ONE, 1, "tempo", "too low", "at least 20"),
    ("zero tempo", "tempo: 0\n" + ONE, 1, "tempo", "too low", "at least 20"),
    ("5000-digit channel", f"{T96}midi: {{ai_channel: {BIG}}}\n" + ONE, 2, "midi.ai_channel", "out of range",
     "from 1 to 16"),
    ("huge seed", f"{T96}model: {{sampling: {{seed: 99999999999999}}}}\n" + ONE, 2, "model.sampling.seed",
     "too high", "at most 4294967295"),
    ("5000-digit length", section(length=f"{BIG} bars"), 3, f"{S0}.length", "out of range", "4 hours"),
    ("zero length", section(length="0 bars"), 3, f"{S0}.length", "not longer than zero", "a length"),
    ("1 ms length", section(length="1 ms"), 3, f"{S0}.length", "shorter than one beat (0.625 s at 96",
     "at least 1 beat"),
    ("5-hour length", section(length="6000 bars"), 3, f"{S0}.length", "4.17 hours long", "4 hours"),
    ("cadence too often", section(cadence="{every: 20 ms}"), 3, f"{S0}.cadence.every", "shorter than 100 ms",
     "at least 100 ms"),
    ("window of a million notes", section(listen="{window: 1000000 notes}"), 3, f"{S0}.listen.window",
     "more than 4096 notes", "1..4096"),
    ("5000-digit window", section(listen=f"{{window: {BIG} s}}"), 3, f"{S0}.listen.window", "out of range",
     "at most 4 hours"),
    ("notes per second", section(filters="[{density: {max_per_second: 1e9}}]"), 3,
     f"{S0}.filters[0].density.max_per_second", "too high", "at most 1000"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "path", "words", "expected"), [c[1:] for c in NUMBERS],
                         ids=[c[0] for c in NUMBERS])  # fmt: skip
def test_numbers_and_times_out_of_range_name_the_range(
    text: str, line: int, path: str, words: str, expected: str
) -> None:
    error = one_error(text)
    assert (error.line, error.path) == (line, path), str(error)
    assert words in error.message and expected in (error.expected or ""), str(error)
    assert len(str(error)) < 400  # a 5000-digit value is shortened, not echoed


def test_a_looping_section_shorter_than_a_beat_is_an_error_naming_it() -> None:
    text = (
        "tempo: 120\nsections:\n  - {name: intro, mode: listen, length: 4 bars}\n"
        "  - {name: spin, mode: duet, length: 200 ms, then: {goto: spin2}}\n"
        "  - {name: spin2, mode: duet, length: 0.1 beats, then: {goto: spin}}\n"
    )
    errors = errors_of(text)
    assert [(e.line, e.path) for e in errors] == [(4, "sections[1].length"), (5, "sections[2].length")]
    assert "length '200 ms' is shorter than one beat (0.5 s at 120 bpm)" in errors[0].message


def test_without_a_tempo_a_section_is_at_least_a_beat_of_the_120_bpm_grid() -> None:
    error = one_error("sections:\n  - {name: a, mode: listen, length: 0.2 s, listen: {window: 2 s}}\n")
    assert "shorter than one beat (0.5 s at 120 bpm)" in error.message
    assert load_piece_text("sections:\n  - {name: a, mode: listen, length: 0.5 s, listen: {window: 2 s}}\n")


def test_yaml_11_words_as_keys_are_named_as_written() -> None:
    for word in ("true", "on", "no", "1", "null"):
        error = one_error(f"tempo: 96\n{word}: 3\n" + ONE)
        assert (error.line, error.path, error.message) == (2, word, f"unknown key '{word}'")


def test_a_key_that_is_a_mapping_is_an_error() -> None:
    error = one_error("tempo: 96\n? {a: 1}\n: 3\n" + ONE)
    assert error.message == "a key must be a plain word" and error.line == 2


def test_deep_nesting_is_refused_at_its_line() -> None:
    for depth in (MAX_DEPTH + 1, 20_000):  # (libyaml stops at 1000 itself, while looking ahead)
        error = one_error("tempo: 96\nx: " + "[" * depth + "]" * depth + "\n" + ONE)
        assert error.path == "(limit)" and f"nested more than {MAX_DEPTH} levels" in error.message
        assert error.line == 2


def billion_laughs(levels: int = 9) -> str:
    lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefghij", "bcdefghijk"[: levels - 1], strict=False):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "tempo: 96\nx:\n" + "\n".join(lines) + "\n" + ONE


def test_a_billion_laughs_is_refused_at_the_alias_that_passes_the_limit() -> None:
    error = one_error(billion_laughs())
    assert error.path == "(limit)" and f"more than {MAX_ALIAS_NODES:,} values" in error.message
    assert (error.line, error.column) == (8, 10) and "'*e' here" in error.message  # f: [*e, ...]


def test_aliases_within_the_limit_still_work() -> None:
    first = "  - &s {name: a, mode: duet, length: 2 bars, then: loop}\n"
    text = T96 + "sections:\n" + first + "  - {<<: *s, name: b}\n"
    a, b = load_piece_text(text).sections
    assert (a.name, b.name) == ("a", "b") and b.length == a.length and b.then == a.then


def test_a_recursive_alias_is_an_error() -> None:
    errors = errors_of("tempo: 96\nsections: &s\n  - {name: a, mode: duet, length: 8 bars, x: *s}\n")
    assert any(e.message == "an alias refers to itself" for e in errors)


def test_a_nul_byte_is_reported_at_its_line_and_column() -> None:
    error = one_error("tempo: 96\nsections:\n  - {name: a,\x00 mode: duet, length: 8 bars}\n")
    assert (error.line, error.column) == (3, 14) and "NUL byte" in error.message


def test_bom_and_crlf_are_plain_text(tmp_path: Path) -> None:
    text = "\ufefftempo: 96\r\nsections:\r\n  - {name: a, mode: duet, length: 8 bars}\r\n"
    (tmp_path / "p.yaml").write_bytes(text.encode("utf-8"))
    assert load_piece(tmp_path / "p.yaml").sections[0].name == "a"
    error = one_error(text.replace("duet", "duett"))
    assert (error.line, error.column) == (3, 21)


def test_a_binary_file_is_reported_at_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"tempo: 96\nti\xfftle: x\n")
    with pytest.raises(PieceErrors) as info:
        load_piece(path)
    (error,) = info.value.errors
    assert (error.line, error.column, error.path) == (2, 3, "(file)") and "not UTF-8" in error.message
    assert "0xff" in error.message


def file_error(path: Path) -> PieceError:
    with pytest.raises(PieceErrors) as info:
        load_piece(path)
    (error,) = info.value.errors
    assert error.path == "(file)" and str(error).startswith(f"{path}: (file): ")
    return error


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    assert "a FIFO" in file_error(fifo).message  # no writer: a blocking open would never return


def test_devices_folders_and_huge_files_are_refused(tmp_path: Path) -> None:
    assert "a device" in file_error(Path("/dev/zero")).message
    assert "a folder" in file_error(tmp_path).message
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    assert f"a piece is at most {MAX_BYTES:,}" in file_error(huge).message
    with pytest.raises(PieceErrors, match="larger than"):
        load_piece_text("# " + "x" * MAX_BYTES)


def test_a_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_piece(tmp_path / "missing.yaml")


def test_range_errors_answer_in_note_names_when_names_were_written() -> None:
    def range_error(low: str, high: str) -> str:
        return one_error(section(filters=f"[{{range: {{low: {low}, high: {high}}}}}]")).message

    assert range_error("C5", "C4") == "range low C5 is above high C4"
    assert range_error("72", "60") == "range low 72 is above high 60"
    assert range_error("C-2", "C4") == "'C-2' is below C-1, the lowest MIDI note"
    assert range_error("C4", "G#9") == "'G#9' is above G9, the highest MIDI note"
    assert range_error("0", "128") == "128 is outside the MIDI range 0..127"


# ---------------------------------------------------------------- every error at once


def test_a_duplicate_section_name_does_not_hide_the_other_errors() -> None:
    text = (
        "sections:\n"
        "  - {name: a, mode: listen, length: 8 bars, listen: {window: 2 s}}\n"  # 2: needs a tempo
        "  - {name: a, mode: listen, length: 4 s, listen: {window: 2 s}}\n"  # 3: duplicate name
    )
    errors = errors_of(text)
    assert [(e.line, e.path) for e in errors] == [(2, "sections[0].length"), (3, "sections[1].name")]


def test_a_schema_error_in_one_section_does_not_hide_the_others_compile_errors() -> None:
    text = (
        "tempo: fast\n"  # 1: schema error; the sections are still checked as if there were a tempo
        "changes_on: sometimes\n"  # 2: schema error
        "sections:\n"
        "  - {name: a, mode: duett, length: 8 bars}\n"  # 4: schema error, not compiled
        "  - {name: b, mode: duet, length: 1 ms}\n"  # 5: compile error
        "  - name: c\n    mode: duet\n    length: 8 bars\n"
        "    filters: [{range: {low: C5, high: C4}}]\n"  # 9: compile error
        "  - {name: d, mode: trading, length: 6 bars, then: {goto: e}}\n"  # 10: compile + cross-ref
    )
    errors = errors_of(text)
    assert [(e.line, e.path) for e in errors] == [
        (1, "tempo"),
        (2, "changes_on"),
        (4, "sections[0].mode"),
        (5, "sections[1].length"),
        (9, "sections[2].filters[0].range.low"),
        (10, "sections[3].length"),
        (10, "sections[3].then.goto"),
    ]


def test_an_error_in_defaults_stops_at_the_schema_errors() -> None:
    # every section inherits defaults: compiling without them would invent errors
    text = "defaults: {listen: {window: 2 sec0nds}}\nsections:\n  - {name: a, mode: listen, length: 4 s}\n"
    assert [e.path for e in errors_of(text)] == ["defaults.listen.window"]
