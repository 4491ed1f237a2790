"""Shared test set-up: torch to one thread (tests leave a core for everything else), and every cache a
test could fill in a temporary folder, never the user's own: `XDG_CACHE_HOME` and `CONDUCTOR_CACHE` (the
one cache root: token caches, Markov seed tables) — inherited by `conductor` subprocesses and
model workers — and music21's scratch folder. The folder
is removed when the session ends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CACHE = tempfile.mkdtemp(prefix="conductor-tests-cache-")
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = os.path.join(CACHE, "xdg")
os.environ["CONDUCTOR_CACHE"] = os.path.join(CACHE, "conductor")


@pytest.fixture(scope="session", autouse=True)
def music21_scratch() -> Iterator[None]:
    """music21's scratch folder (parse caches) in the temporary folder, for this process only (its
    settings file is not written). Only where music21 is installed."""
    try:
        from music21 import environment
    except ImportError:
        yield
        return
    scratch = os.path.join(CACHE, "music21")
    os.makedirs(scratch, exist_ok=True)
    env = environment.Environment()
    old = env["directoryScratch"]
    env["directoryScratch"] = scratch
    yield
    env["directoryScratch"] = old
