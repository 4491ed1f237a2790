"""Key names (the one parser), key detection against music21 itself, snapping."""

from __future__ import annotations

import pytest

from conductor.core.events import Note
from conductor.core.keys import PROFILES, Key, detect_key, histogram, parse_key, snap_pitch


@pytest.mark.parametrize(
    ("text", "name", "tonic", "mode"),
    [
        ("D minor", "D minor", 2, "minor"),
        ("F# major", "F# major", 6, "major"),
        ("Bb minor", "Bb minor", 10, "minor"),
        ("E- major", "Eb major", 3, "major"),
        ("g", "G major", 7, "major"),
        ("C#m", "C# minor", 1, "minor"),
        ("  a  MINOR ", "A minor", 9, "minor"),
        ("Cb major", "Cb major", 11, "major"),  # the tonic as written; the pitch classes of B major
        ("A# minor", "A# minor", 10, "minor"),
        ("d minor", "D minor", 2, "minor"),  # the piece's forms (one parser for the piece and the engine)
        ("Dm", "D minor", 2, "minor"),
        ("Bb", "Bb major", 10, "major"),
        ("F# min", "F# minor", 6, "minor"),
        ("e♭ major", "Eb major", 3, "major"),
        ("G sharp minor", "G# minor", 8, "minor"),
    ],
)
def test_parse_key(text: str, name: str, tonic: int, mode: str) -> None:
    key = parse_key(text)
    assert (key.name, key.tonic_pc, key.mode, key.correlation) == (name, tonic, mode, 1.0)


def test_parse_key_scales_and_errors() -> None:
    assert parse_key("D minor").pitch_classes == frozenset({2, 4, 5, 7, 9, 10, 0})
    assert parse_key("F# major").pitch_classes == frozenset({6, 8, 10, 11, 1, 3, 5})
    assert parse_key("Cb major").pitch_classes == parse_key("B major").pitch_classes
    with pytest.raises(ValueError, match=r"^'H major' is not a key$"):
        parse_key("H major")


def test_profiles_are_music21s() -> None:
    from music21.analysis.discrete import AardenEssen, KrumhanslSchmuckler

    for name, cls in (("aarden", AardenEssen), ("krumhansl", KrumhanslSchmuckler)):
        for mode in ("major", "minor"):
            assert PROFILES[name][mode] == tuple(cls().getWeights(mode))


def scale(pitches: list[int], duration: float = 1.0) -> list[Note]:
    return [Note(i * duration, duration, p, 80) for i, p in enumerate(pitches)]


def test_detect_hand_made_scales() -> None:
    # a plain C-to-C scale reads as A minor with Aarden-Essen weights (music21 agrees, see below);
    # lingering on C and G makes it C major
    plain = detect_key(scale([60, 62, 64, 65, 67, 69, 71, 72]))
    assert plain is not None and plain.name == "A minor"
    lengths = [2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 2.0]
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    c_major = detect_key(
        [Note(float(i), d, p, 80) for i, (p, d) in enumerate(zip(pitches, lengths, strict=True))]
    )
    assert c_major is not None and (c_major.name, c_major.mode) == ("C major", "major")
    assert c_major.correlation == pytest.approx(0.7551822385)
    d_harmonic_minor = detect_key(scale([62, 64, 65, 67, 69, 70, 73, 74, 69, 62]))
    assert d_harmonic_minor is not None and d_harmonic_minor.name == "D minor"
    assert detect_key([]) is None


def test_detect_weights_by_duration_and_caches() -> None:
    assert histogram([Note(0, 2.0, 60, 9), Note(1, 0.5, 72, 9), Note(2, 1.0, 67, 9)]) == (
        2.5, 0, 0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0,
    )  # fmt: skip
    assert histogram([Note(0, 0.0, 60, 9), Note(1, 0.0, 61, 9)])[:2] == (1.0, 1.0)  # no lengths: counts
    notes = scale([60, 64, 67, 65, 62])
    first = detect_key(notes)
    assert detect_key(scale([60, 64, 67, 65, 62], duration=3.0)) is first  # same shape → same entry


def music21_key(notes: list[Note]) -> tuple[int, str, float]:
    from music21 import note, stream

    s = stream.Stream()
    for n in notes:
        m = note.Note(n.pitch, quarterLength=n.duration)
        s.insert(n.onset, m)
    k = s.analyze("key")
    return k.tonic.pitchClass, k.mode, k.correlationCoefficient


@pytest.mark.parametrize(
    "path", ["bach/bwv66.6", "bach/bwv57.8", "bach/bwv269", "bach/bwv40.8", "bach/bwv65.2"]
)
def test_detect_agrees_with_music21_on_chorales(path: str) -> None:
    from music21 import corpus

    score = corpus.parse(path)
    notes = [
        Note(float(n.offset), float(n.quarterLength), p.midi, 64)
        for n in score.flatten().notes
        for p in n.pitches
    ]
    mine = detect_key(notes)
    theirs = score.analyze("key")
    assert mine is not None
    assert (mine.tonic_pc, mine.mode) == (theirs.tonic.pitchClass, theirs.mode)
    assert mine.correlation == pytest.approx(theirs.correlationCoefficient, abs=1e-5)


def test_detect_agrees_with_music21_on_melodies() -> None:
    melodies = [
        [60, 62, 64, 65, 67, 69, 71, 72],
        [57, 59, 60, 62, 64, 65, 68, 69],
        [66, 68, 70, 71, 73, 75, 77, 78, 73, 66],
        [62, 65, 69, 74, 72, 70, 69, 67, 65, 64, 62],
        [60, 64, 67, 72, 65, 69, 67, 71, 62, 60, 60],
    ]
    for pitches in melodies:
        notes = scale(pitches, 0.5)
        mine = detect_key(notes)
        assert mine is not None
        tonic, mode, r = music21_key(notes)
        assert (mine.tonic_pc, mine.mode) == (tonic, mode)
        assert mine.correlation == pytest.approx(r, abs=1e-5)


def test_snap_ties_go_down() -> None:
    c_major = parse_key("C major").pitch_classes
    assert [snap_pitch(p, c_major) for p in (60, 61, 63, 66, 68, 70, 72)] == [60, 60, 62, 65, 67, 69, 72]
    assert snap_pitch(1, frozenset({2})) == 2  # nothing below MIDI 0 ... 1 → 2 (up), not -10
    assert snap_pitch(0, frozenset({11})) == 11  # nearest above when nothing exists below
    assert snap_pitch(64, frozenset()) == 64


def test_key_estimate_is_frozen() -> None:
    key = Key("C major", 0, "major", frozenset({0}), 0.5)
    with pytest.raises(AttributeError):
        key.name = "D major"  # type: ignore[misc]
