"""Vectors kept as they are made, by content hash, so an interrupted build resumes without re-embedding.

Layout, beside the index link (`var/index` → `var/index.embedded/`):
    <model fingerprint>/<n>.npy    one embedding batch's rows (float32)
                       /<n>.json   the `prepare.vector_key` of each row, written last (its presence seals the batch)

A batch is written to temporary names and renamed, rows first, keys last: a
batch killed half-written leaves no keys file and is ignored. The folder is
emptied once a build that holds the vectors is published.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np


def folder(index_dir: Path) -> Path:
    """The checkpoint folder of the index link `index_dir`."""
    return index_dir.parent / f"{index_dir.name}.embedded"


class Checkpoint:
    """The sealed batches of one model's vectors: read once, appended to batch by batch."""

    def __init__(self, index_dir: Path, model_fingerprint: str):
        self.path = folder(index_dir) / model_fingerprint
        self.rows: dict[str, np.ndarray] = {}
        self._next = 0
        if self.path.is_dir():
            for keys_file in sorted(self.path.glob("*.json")):
                try:
                    keys = json.loads(keys_file.read_text(encoding="utf-8"))
                    rows = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
                except (OSError, ValueError):
                    continue  # a damaged batch is embedded again, not trusted
                if len(keys) == len(rows):
                    self.rows.update(zip(keys, rows))
                self._next = max(self._next, int(keys_file.stem) + 1)

    def add(self, keys: list[str], rows: np.ndarray) -> None:
        """One batch's keys and rows, sealed on disk, then kept in memory."""
        self.path.mkdir(parents=True, exist_ok=True)
        stem = self.path / f"{self._next:08d}"
        self._next += 1
        with open(stem.with_suffix(".npy.part"), "wb") as handle:
            np.save(handle, np.asarray(rows, dtype=np.float32), allow_pickle=False)
        os.replace(stem.with_suffix(".npy.part"), stem.with_suffix(".npy"))
        stem.with_suffix(".json.part").write_text(json.dumps(keys), encoding="utf-8")
        os.replace(stem.with_suffix(".json.part"), stem.with_suffix(".json"))
        self.rows.update(zip(keys, rows))


def clear(index_dir: Path) -> None:
    """Forget every checkpointed vector (their build is published)."""
    shutil.rmtree(folder(index_dir), ignore_errors=True)
