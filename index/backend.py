"""Which index backend answers: the embedded one (BM25 statistics + faiss, the default) or Milvus.

GZQA_BACKEND=milvus (or `gzqa --backend milvus`) chooses Milvus at GZQA_MILVUS_URI
(`index.milvus`). Read at call time, so a flag set by the CLI reaches every path
that opens or updates the index (ask, eval, serve and its uploads, index build/update/status/watch).
"""
from __future__ import annotations

import os
from pathlib import Path

from index import store
from index.api import Index

BACKENDS = ("embedded", "milvus")


class UnknownBackend(store.IndexProblem):
    """GZQA_BACKEND names no backend."""


def chosen(backend: str | None = None) -> str:
    """`backend`, else GZQA_BACKEND, else "embedded"; an unknown name is an error naming the choices."""
    name = backend or os.environ.get("GZQA_BACKEND") or "embedded"
    if name not in BACKENDS:
        raise UnknownBackend(f"unknown index backend {name!r} — set GZQA_BACKEND to one of {', '.join(BACKENDS)}")
    return name


def load(index_dir: Path, check_rules: bool = True, backend: str | None = None) -> Index:
    """The published index at `index_dir`, read through the chosen backend."""
    if chosen(backend) == "milvus":
        from index import milvus

        return milvus.load(index_dir, check_rules=check_rules)
    return store.load(index_dir, check_rules=check_rules)
