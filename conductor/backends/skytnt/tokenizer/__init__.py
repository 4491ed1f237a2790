"""SkyTNT-compatible tokenizers: `get_tokenizer("v1" | "v2" | "v2o")`.

"v2o" is v2 with `optimise_midi=True` (remap tracks and channels, add default instruments, remove
empty channels), the setting of the `tv2o-*` checkpoints. Token ids, rows and detokenized scores
match SkyTNT/midi-model's midi_tokenizer.py exactly, quirks included: see docs/skytnt-format.md.

The package, in the order a score becomes token rows: `layout` (the token id tables, one event ↔ one
row), `collect` (a score's tracks → quantised, de-duplicated events), `remap` (v2o: tracks and
channels renumbered), `key_signatures` (v2: key signatures placed, guessed from the notes),
`arrange` (sort, the opening setup, time steps), `pipeline` (`SkyTNTTokenizer`: those steps in
order, and detokenize), `v1` and `v2` (the two formats); `safe_context` keeps a performer's notes
out of the upstream quirks that silently drop notes.
"""

from __future__ import annotations

from typing import Any

from conductor.backends.skytnt.tokenizer.pipeline import Score, SkyTNTTokenizer
from conductor.backends.skytnt.tokenizer.v1 import MIDITokenizerV1
from conductor.backends.skytnt.tokenizer.v2 import MIDITokenizerV2

TOKENIZER_NAMES = ("v1", "v2", "v2o")

__all__ = [
    "TOKENIZER_NAMES",
    "MIDITokenizerV1",
    "MIDITokenizerV2",
    "Score",
    "SkyTNTTokenizer",
    "from_config_dict",
    "get_tokenizer",
]


def get_tokenizer(name: str) -> SkyTNTTokenizer:
    """A fresh tokenizer for "v1", "v2" or "v2o" (v2 with optimise_midi); ValueError otherwise."""
    key = name.strip().lower()
    if key == "v1":
        return MIDITokenizerV1()
    if key == "v2":
        return MIDITokenizerV2()
    if key == "v2o":
        return MIDITokenizerV2(optimise_midi=True)
    raise ValueError(f"unknown tokenizer {name!r}: expected one of {', '.join(TOKENIZER_NAMES)}")


def from_config_dict(d: dict[str, Any]) -> SkyTNTTokenizer:
    """The tokenizer a checkpoint's `config.json` `tokenizer` entry describes (version, optimise_midi).

    Only `version` and `optimise_midi` are read: the id layout always comes from the definition
    order, never from the (sorted) tables in the file.
    """
    version = d.get("version")
    if version not in ("v1", "v2"):
        raise ValueError(f"unknown tokenizer version {version!r} in config: expected 'v1' or 'v2'")
    optimise = bool(d.get("optimise_midi", False))
    return MIDITokenizerV1(optimise) if version == "v1" else MIDITokenizerV2(optimise)
