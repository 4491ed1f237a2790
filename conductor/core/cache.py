"""Where conductor keeps what it can rebuild: one cache root for every cache.

`cache_root()` is `$CONDUCTOR_CACHE`, else `$XDG_CACHE_HOME/conductor`, else `~/.cache/conductor`.
The Markov seed tables live in its `markov/` folder (`conductor.backends.markov.seeding`), the
training token caches in `tokens/` (`conductor.train.data`).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "CONDUCTOR_CACHE"


def cache_root() -> Path:
    """`$CONDUCTOR_CACHE`, else `$XDG_CACHE_HOME/conductor`, else `~/.cache/conductor`."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "conductor"
