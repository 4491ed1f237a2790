"""A set of hostile and broken piece files (generated, so that none is committed as a 1 MB fixture).

`write_hostile(folder)` writes them and returns `(name, path)` pairs: numbers out of every range,
lengths that loop forever, YAML that costs time or memory (deep nesting, aliases of aliases, a
million tiny values), text that is not text, and paths that are not files (a FIFO, a device, a
folder, a missing file, a symlink loop). Used by tests/piece/test_hostile.py and
bench/bench_hostile_pieces.py (the counts of `conductor check` run on each).
"""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

BIG = "9" * 5000
T = "tempo: 96\n"
ONE = "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"


def _sec(**keys: str) -> str:
    fields = {"name": "a", "mode": "duet", "length": "8 bars", **keys}
    return T + "sections:\n  - {" + ", ".join(f"{k}: {v}" for k, v in fields.items()) + "}\n"


def _laughs(levels: int) -> str:
    lines = ['  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in itertools.pairwise("abcdefghijklmnop"[:levels]):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return T + "x:\n" + "\n".join(lines) + "\n" + ONE


def _sections(count: int, row: str = "{{name: s{i}, mode: duet, length: 2 bars}}") -> str:
    return T + "sections:\n" + "".join("  - " + row.format(i=i) + "\n" for i in range(count))


NUMBERS = {
    "tempo-5000-digits": f"tempo: {BIG}\n" + ONE,
    "tempo-inf": "tempo: .inf\n" + ONE,
    "tempo-nan": "tempo: .nan\n" + ONE,
    "tempo-1e308": "tempo: 1e308\n" + ONE,
    "tempo-1e400": "tempo: 1.0e+400\n" + ONE,
    "tempo-negative": "tempo: -96\n" + ONE,
    "tempo-hex-huge": "tempo: 0x" + "f" * 3000 + "\n" + ONE,
    "tempo-text": "tempo: fast\n" + ONE,
    "channel-5000-digits": f"{T}midi: {{ai_channel: {BIG}}}\n" + ONE,
    "seed-huge": f"{T}model: {{sampling: {{seed: {BIG}}}}}\n" + ONE,
    "top-k-negative-huge": f"{T}model: {{sampling: {{top_k: -{BIG}}}}}\n" + ONE,
    "length-5000-digits": _sec(length=f"{BIG} bars"),
    "length-zero": _sec(length="0 bars"),
    "length-negative": _sec(length="-4 bars"),
    "length-1ms-loop": _sec(length="1 ms", then="loop"),
    "length-inf": _sec(length="inf bars"),
    "length-1e308": _sec(length="1e308 bars"),
    "length-10-hours": _sec(length="36000 s"),
    "goto-cycle-of-1ms": T + "sections:\n  - {name: a, mode: duet, length: 1 ms, then: {goto: b}}\n"
    "  - {name: b, mode: duet, length: 1 ms, then: {goto: a}}\n",
    "window-5000-digits": _sec(listen=f"{{window: {BIG} s}}"),
    "window-million-notes": _sec(listen="{window: 1000000 notes}"),
    "cadence-every-1ms": _sec(cadence="{every: 1 ms}"),
    "meter-huge": f"{T}meter: {BIG}/4\n" + ONE,
    "turns-billion-bars": _sec(mode="trading", turns="{bars: 1000000000}"),
    "events-huge": _sec(output=f"{{events: {BIG}}}"),
    "range-nan": _sec(filters="[{range: {low: .nan}}]"),
    "range-note-names-reversed": _sec(filters="[{range: {low: C6, high: C2}}]"),
    "range-note-below-midi": _sec(filters="[{range: {low: C-2}}]"),
    "velocity-inf": _sec(filters="[{velocity: .inf}]"),
    "param-range-inf": f"{T}params:\n  - {{cc: 1, param: density, range: [.nan, .inf]}}\n" + ONE,
}

STRUCTURE = {
    "billion-laughs": _laughs(9),
    "billion-laughs-16": _laughs(16),
    "flow-nesting-20000": T + "x: " + "[" * 20_000 + "]" * 20_000 + "\n" + ONE,
    "mapping-nesting-5000": T + "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n" + ONE,
    "recursive-alias": T + "sections: &s\n  - {name: a, mode: duet, length: 8 bars, x: *s}\n",
    "undefined-alias": T + "x: *nowhere\n" + ONE,
    "merge-not-a-mapping": T + "x: {<<: 3}\n" + ONE,
    "merge-of-itself": T + "x: &m {<<: *m}\n" + ONE,
    "half-a-million-zeros": T + ONE + "x: [" + ",".join(["0"] * 499_000) + "]\n",
    "huge-string": T + ONE + "title: " + "x" * 900_000 + "\n",
    "huge-key": T + ONE + "k" * 900_000 + ": 1\n",
    "hundred-thousand-keys": T + ONE + "x: {" + ", ".join(f"k{i}: {i}" for i in range(60_000)) + "}\n",
    "ten-thousand-sections-valid": _sections(10_000),
    "ten-thousand-duplicate-names": _sections(10_000, "{{name: same, mode: duet, length: 2 bars}}"),
    "python-object-tag": "title: !!python/object/apply:os.system ['echo hi']\n" + T + ONE,
    "binary-tag": T + "title: !!binary aGVsbG8=\n" + ONE,
    "timestamp-title": T + "title: 2001-12-14t21:59:43.10-05:00\n" + ONE,
    "set-tag": T + "title: !!set {a, b}\n" + ONE,
    "unknown-tag": T + "title: !whatever x\n" + ONE,
    "two-documents": T + ONE + "---\n" + T + ONE,
    "empty": "",
    "only-comments": "# nothing here\n# at all\n",
    "a-list": "- just\n- a list\n",
    "a-scalar": "hello\n",
    "key-true": T + "true: 3\n" + ONE,
    "key-on": T + "on: 3\n" + ONE,
    "key-null": T + "~: 3\n" + ONE,
    "key-mapping": T + "? {a: 1}\n: 3\n" + ONE,
    "key-list": T + "? [a, b]\n: 3\n" + ONE,
    "tab-indent": T + "sections:\n\t- {name: a, mode: duet, length: 8 bars}\n",
    "unterminated-quote": T + 'title: "no end\n' + ONE,
    "unclosed-bracket": T + "sections: [\n  - a\n",
    "sections-a-string": T + "sections: all of them\n",
    "sections-null": T + "sections:\n",
    "section-a-number": T + "sections: [3, 4]\n",
    "duplicate-names-and-no-tempo": "sections:\n  - {name: a, mode: duet, length: 8 bars}\n"
    "  - {name: a, mode: listen, length: 4 bars}\n",
    "goto-missing": T + "sections:\n  - {name: a, mode: duet, length: 8 bars, then: {goto: nowhere}}\n",
}

BYTES = {
    "nul-byte": (T + "sections:\n  - {name: a,\x00 mode: duet, length: 8 bars}\n").encode(),
    "control-char": (T + "title: a\x01b\n" + ONE).encode(),
    "bom": ("\ufeff" + T + ONE).encode(),
    "crlf": (T + ONE).replace("\n", "\r\n").encode(),
    "lone-cr": (T + ONE).replace("\n", "\r").encode(),
    "latin-1": (T + "title: caf\xe9\n" + ONE).encode("latin-1"),
    "utf-16": (T + ONE).encode("utf-16"),
    "random-bytes": random.Random(10).randbytes(4096),
    "png-header": b"\x89PNG\r\n\x1a\n" + random.Random(11).randbytes(512),
    "two-megabytes": b"# " + b"x" * 2_000_000 + b"\n",
}


def write_hostile(folder: Path) -> list[tuple[str, Path]]:
    """Write every hostile piece under `folder`; returns (name, path) pairs (paths may be no file)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in {**NUMBERS, **STRUCTURE}.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        out.append((name, folder / f"{name}.yaml"))
    for name, data in BYTES.items():
        (folder / f"{name}.yaml").write_bytes(data)
        out.append((name, folder / f"{name}.yaml"))
    fifo, loop, here = folder / "fifo.yaml", folder / "loop.yaml", folder / "folder.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    if not loop.is_symlink():
        loop.symlink_to(loop.name)
    here.mkdir(exist_ok=True)
    out += [("fifo", fifo), ("symlink-loop", loop), ("folder", here), ("missing", folder / "missing.yaml")]
    out += [("dev-zero", Path("/dev/zero"))]
    return out
