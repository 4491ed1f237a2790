"""One cache root for every cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from conductor.backends.markov.seeding import cache_dir
from conductor.core.cache import cache_root
from conductor.train.data import default_cache_dir


def test_conductor_cache_else_xdg_else_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONDUCTOR_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "mine"
    monkeypatch.delenv("CONDUCTOR_CACHE")
    assert cache_root() == tmp_path / "xdg" / "conductor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "conductor"


def test_the_markov_seed_tables_and_the_token_caches_share_the_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONDUCTOR_CACHE", str(tmp_path))
    assert (cache_dir(), default_cache_dir()) == (tmp_path / "markov", tmp_path / "tokens")
