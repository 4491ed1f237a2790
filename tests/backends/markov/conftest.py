"""Markov backend tests: seed tables are cached per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _seed_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed tables are cached in the test's own folder, never in ~/.cache."""
    monkeypatch.setenv("CONDUCTOR_CACHE", str(tmp_path))
