"""A long-lived answering session: the index loaded once, reloaded when a new build is published."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from index import backend
from index.api import Index
from qa.answer import DEFAULT_K, Answer, ask


class Assistant:
    """Answers questions from the index at `index_dir`, always from one whole build.

    Before each question it checks where the index link points; after an update
    publishes a new build, the next question loads it (the question encoder is
    kept when the model did not change). Questions in flight finish on the old build.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._target: str | None = None

    def index(self) -> Index:
        """The current build, loaded (raises store.IndexProblem with the fix when there is none)."""
        target = os.path.realpath(self.index_dir)
        with self._lock:
            if self._index is None or target != self._target:
                fresh = backend.load(self.index_dir)  # GZQA_BACKEND: embedded or milvus
                if self._index is not None and fresh.model == self._index.model:
                    fresh._encoder = self._index._encoder
                self._index, self._target = fresh, target
            return self._index

    def ask(self, question: str, k: int = DEFAULT_K, year: int | None = None,
            sources: tuple[str, ...] | None = None) -> Answer:
        return ask(self.index(), question, k=k, year=year, sources=sources)
