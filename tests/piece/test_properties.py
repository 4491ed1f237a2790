"""Property-based tests (hypothesis): whatever a piece file holds, `check` answers 0 or 1 with a
message, a valid piece rehearses to its end in bounded virtual time, and the live reload path (the
parser process, then `Engine.reload` on a virtual clock) keeps the engine stepping.

Documents are random YAML (scalars of every type, nesting, anchors and aliases, keys drawn from the
schema's names), mutated piece texts, and random section graphs (then: next/goto/loop/stop, lengths,
modes). The default run keeps to ~30 s; `CONDUCTOR_THOROUGH=1` runs the `slow` variants with ten
times the examples.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conductor.backends.scripted import ScriptedModel
from conductor.cli import main
from conductor.engine.clock import VirtualClock
from conductor.engine.engine import Engine
from conductor.engine.runner import InlineRunner
from conductor.engine.timing import Latency
from conductor.piece import PieceErrors, load_piece_text
from conductor.piece.compiled import Piece
from conductor.piece.names import Mode
from conductor.piece.parser import shared_parser
from conductor.piece.schema import PieceFile
from conductor.piece.settings import SettingsRaw
from tests.rehearse.helpers import balanced, human, run

MODES = tuple(m.value for m in Mode)
ROOT = Path(__file__).resolve().parents[2]
THOROUGH = pytest.mark.skipif(not os.environ.get("CONDUCTOR_THOROUGH"), reason="set CONDUCTOR_THOROUGH=1")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
MANY = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))


def _schema_names() -> list[str]:
    names: set[str] = set()
    todo: list[Any] = [PieceFile, SettingsRaw]
    while todo:
        model = todo.pop()
        for name, info in model.model_fields.items():
            names.add(name)
            for inner in getattr(info.annotation, "__args__", ()) or ():
                if isinstance(inner, type) and hasattr(inner, "model_fields") and inner not in todo:
                    todo.append(inner)
    return sorted(names | {"chords", "melody", "density", "range", "velocity", "horizon", "goto", "<<"})


KEYS = _schema_names()
WORDS = ["8 bars", "1 beat", "2 s", "50 ms", "1 ms", "64 notes", "footswitch", "0 bars", "9" * 60 + " bars",
         *MODES, "next", "loop", "stop", "C4", "G#9", "C-2", "G major", "detect", "off", "4/4", "7/8",
         "markov", "scripted", "skytnt", "human", "ai", "replace", "ring", ".inf", "1e308"]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=25,
    )


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """Random YAML text: a mapping with schema keys, where repeated subtrees become anchors/aliases."""
    pool = draw(st.lists(trees(scalars), min_size=1, max_size=3))
    shared = st.sampled_from(pool)  # the same Python object twice: yaml.dump writes &id001 / *id001
    doc = draw(st.dictionaries(st.sampled_from(KEYS), trees(scalars | shared), max_size=6))
    if draw(st.booleans()):
        doc["sections"] = draw(st.lists(trees(scalars | shared), max_size=4))
    return yaml.safe_dump(doc, default_flow_style=draw(st.booleans()), allow_unicode=True)


MARK = (ROOT / "pieces" / "mark_sat.yaml").read_text()
SYMBOLS = ":-[]{}&*!|>#'\"\t\n ,?%@`~<=0123456789abcxyz"


@st.composite
def mutated_pieces(draw: st.DrawFn) -> str:
    """The concert set with a few characters inserted, deleted or replaced."""
    text = MARK
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.text(SYMBOLS, max_size=3)) + text[at + cut :]
    return text


EXTRAS = ["", "", "", ", cadence: {every: 1 beat}", ", on_exit: ring", ", turns: {bars: 2}"]
LENGTHS = ["1 beat", "3 beats", "1 bar", "2 bars", "4 bars", "8 bars", "1.5 bars", "2 s", "0.7 s",
           "footswitch", "10 ms", "0.1 beats"]  # fmt: skip


@st.composite
def section_graphs(draw: st.DrawFn) -> str:
    """A piece of random sections that follow each other by next, goto, loop and stop."""
    count = draw(st.integers(1, 6))
    names = [f"s{i}" for i in range(count)]
    rows = []
    for name in names:
        mode = draw(st.sampled_from(MODES))
        length = draw(st.sampled_from(["4 bars", "8 bars"] if mode == "trading" else LENGTHS))
        then = draw(st.sampled_from(["next", "loop", "stop", "goto"]))
        follow = f"{{goto: {draw(st.sampled_from([*names, 'nowhere']))}}}" if then == "goto" else then
        extra = draw(
            st.sampled_from(["", ", cadence: {every: 1 beat}", ", on_exit: ring", ", turns: {bars: 2}"])
        )
        rows.append(f"  - {{name: {name}, mode: {mode}, length: {length}, then: {follow}{extra}}}\n")
    changes = draw(st.sampled_from(["now", "beat", "bar"]))
    return (
        f"tempo: {draw(st.sampled_from([40, 96, 400]))}\nchanges_on: {changes}\nmodel: scripted\nsections:\n"
        + "".join(rows)
    )


def checks_cleanly(text: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> int:
    """`conductor check` of `text`: 0 or 1, a message naming the file, no traceback."""
    path = tmp / "piece.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert code in (0, 1) and str(path) in out, out[-2000:]
    assert "Traceback" not in out and "(internal)" not in out, out[-2000:]
    return code


def rehearses_to_its_end(piece: Piece) -> None:
    """A short rehearsal of `piece` ends in bounded virtual time, leaving no note sounding."""
    part = human(6.0)
    result = run(piece, part)
    assert result.end <= part.end + 2 * piece.timebase.seconds_per_bar + 1e-6
    assert balanced(result.take.ai_messages) and result.engine.scheduler.sounding() == []


BASE = """tempo: 96
model: scripted
sections:
  - {name: s0, mode: duet, length: 2 bars}
  - {name: s1, mode: ai_chords, length: 1 bar, then: {goto: s0}}
"""


def reloads_while_playing(texts: list[str], tmp: Path) -> None:
    """The live reload path on a virtual clock: parse in the parser process, reload, keep stepping."""
    clock = VirtualClock()
    base = load_piece_text(BASE)
    # every section plays the scripted model: the path under test is the reload, not model loading
    engine = Engine(base, clock, InlineRunner(lambda spec: ScriptedModel(), clock, Latency()))
    path, t = tmp / "live.yaml", 0.0
    for text in texts:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(PieceErrors):  # rejected: the engine plays on
            engine.reload(shared_parser().load(path), t)
        t = _step_for(engine, clock, t, seconds=3.0)
    assert engine.stopped or engine.section is not None


def _step_for(engine: Engine, clock: VirtualClock, t: float, seconds: float) -> float:
    end = t + seconds
    for _ in range(10_000):  # far more than 3 s of steps ever needs: a spin fails the test
        nxt = engine.step(t)
        engine.drain(t)
        times = [x for x in (nxt, engine.scheduler.next_deadline()) if x is not None]
        t = min([*times, end]) if times else end
        clock.advance_to(t)
        if t >= end or engine.stopped:
            return end
    raise AssertionError(f"the engine is still stepping at {t:.3f} s")


# ---------------------------------------------------------------- the properties


@FAST
@given(text=st.one_of(yaml_documents(), mutated_pieces()))
def test_check_answers_any_document(text: str, tmp_path_factory: pytest.TempPathFactory,
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    checks_cleanly(text, tmp_path_factory.mktemp("doc"), capsys)


@FAST
@given(text=section_graphs())
def test_any_section_graph_checks_and_rehearses_to_its_end(
    text: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    if checks_cleanly(text, tmp_path_factory.mktemp("graph"), capsys) == 0:
        rehearses_to_its_end(load_piece_text(text))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    texts=st.lists(st.one_of(section_graphs(), yaml_documents(), mutated_pieces()), min_size=1, max_size=4)
)
def test_the_live_reload_path_survives_any_edit(
    texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    reloads_while_playing(texts, tmp_path_factory.mktemp("live"))


@pytest.mark.slow
@THOROUGH
@MANY
@given(text=st.one_of(yaml_documents(), mutated_pieces(), section_graphs()))
def test_thorough_check_and_rehearse(text: str, tmp_path_factory: pytest.TempPathFactory,
                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    if checks_cleanly(text, tmp_path_factory.mktemp("doc"), capsys) == 0:
        rehearses_to_its_end(load_piece_text(text))


@pytest.mark.slow
@THOROUGH
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    texts=st.lists(st.one_of(section_graphs(), yaml_documents(), mutated_pieces()), min_size=1, max_size=6)
)
def test_thorough_live_reload(texts: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    reloads_while_playing(texts, tmp_path_factory.mktemp("live"))
