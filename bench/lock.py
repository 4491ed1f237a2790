"""Write `constraints.txt`: the exact versions of conductor's dependencies (and the dev extra) in this venv.

`make lock` runs it after the tests pass with new versions; the Makefile installs with
`pip install -c constraints.txt`, so a fresh machine gets the versions that were tested. Only the
dependency closure of `conductor[dev]` is written (not whatever else the venv holds). torch is written
without its local label (`2.13.0`, not `2.13.0+cpu`): `==2.13.0` accepts the CPU build the Makefile
installs first, and a constraint naming `+cpu` could not be met from PyPI.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# The versions `make test` last passed with (Python {python}). Written by `make lock`; used by the
# Makefile's install step as `pip install -c constraints.txt`. Ranges live in pyproject.toml.
"""


def _name(requirement: str) -> str:
    """The normalised project name at the start of a requirement string."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return _normalise(match.group(0) if match else requirement)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str, extras: set[str]) -> bool:
    """True unless the requirement's marker names an extra we did not ask for or excludes us."""
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": extra}) for extra in extras or {""})


def closure(root: str, extras: set[str]) -> dict[str, str]:
    """Installed name → version for `root[extras]` and everything it requires, recursively."""
    found: dict[str, str] = {}
    todo = [(root, extras)]
    while todo:
        name, wanted_extras = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed here: nothing to pin
        found[_normalise(dist.metadata["Name"])] = dist.version
        for requirement in dist.requires or []:
            dep = _name(requirement)
            if dep not in found and _wanted(requirement, wanted_extras):
                todo.append((dep, set()))
    return found


def main() -> int:
    pins = closure("conductor", {"dev"})
    pins.pop("conductor", None)
    lines = [f"{name}=={version.split('+')[0]}" for name, version in sorted(pins.items())]
    python = ".".join(map(str, sys.version_info[:2]))
    (ROOT / "constraints.txt").write_text(HEADER.format(python=python) + "\n".join(lines) + "\n")
    print(f"constraints.txt: {len(lines)} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
