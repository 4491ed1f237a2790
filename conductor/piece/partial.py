"""What can still be compiled of a piece the schema refused, so that every error shows at once.

The compiler's checks (bars without a tempo, a section shorter than a beat, a range whose low is above
its high, ...) need a valid raw piece. When the schema found errors, the invalid parts are set aside
and the rest is compiled for its own errors — never for errors that setting a part aside would cause:

- a section with a schema error is left out (its own errors are reported already); the others keep
  their indices, so their errors keep their key paths;
- an invalid top-level setting is dropped, except `tempo`, which becomes 120 bpm (dropping it would
  turn every `8 bars` into a "needs a tempo" error);
- an error in `defaults` (every section inherits it) or in the `sections` list itself: nothing more.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from conductor.piece.schema import PieceFile

Loc = tuple[str | int, ...]
PLACEHOLDER_TEMPO = 120.0


def checkable(data: Any, locs: list[Loc]) -> tuple[PieceFile, list[int]] | None:
    """The valid part of `data` (the schema's errors were at `locs`) and the original indices of the
    sections it keeps; None when nothing more can be checked."""
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return None
    top, left_out = dict(data), set()
    for loc in locs:
        if not loc or loc[0] == "defaults" or (loc[0] == "sections" and len(loc) < 2):
            return None
        if loc[0] == "sections":
            left_out.add(loc[1])
        elif loc[0] == "tempo":
            top["tempo"] = PLACEHOLDER_TEMPO
        else:
            top.pop(loc[0], None)
    kept = [i for i in range(len(data["sections"])) if i not in left_out]
    if not kept:
        return None
    top["sections"] = [data["sections"][i] for i in kept]
    try:
        return PieceFile.model_validate(top), kept
    except ValidationError:
        return None
