"""Chunks that still need a vector → embedded in batches of `EMBED_BATCH`, each checkpointed and reported.

Batches are sealed on disk as they are made (`index.checkpoint`), so a build
stopped half-way and run again embeds only what is left; `on_embedded(done,
total)` and an optional progress bar (rate, ETA) follow the batches.
"""
from __future__ import annotations

import sys
from typing import Callable

from index import checkpoint, embed, tokenize

EMBED_BATCH = 64  # passages per encoder call: one checkpoint file and one progress step each


class Embedder:
    """Embeds the chunks offered to it in batches of `EMBED_BATCH`, checkpointing and reporting each batch."""

    def __init__(self, todo: dict[str, str], saved: checkpoint.Checkpoint, model: str, show_bar: bool,
                 on_embedded: Callable[[int, int], None] | None):
        self.todo, self.saved, self.model, self.on_embedded = todo, saved, model, on_embedded
        self.pending: dict[str, str] = {}
        self.done = 0
        self.encoder = embed.passage_encoder(model) if todo else None
        self.bar = None
        if show_bar and todo:
            from tqdm import tqdm

            self.bar = tqdm(total=len(todo), unit=" passages", desc="embedding", file=sys.stderr, smoothing=0.1)

    def wants(self, key: str) -> bool:
        """Does the chunk under `key` still need a vector (not embedded, queued or checkpointed yet)?"""
        return key in self.todo and key not in self.pending and key not in self.saved.rows

    def offer(self, key: str, text: str, counts: dict[str, int]) -> None:
        """A chunk's key, text and term counts: queued when it still needs a vector; a full queue is embedded."""
        if self.wants(key):
            self.pending[key] = text
            tokenize.remember(text, counts)  # an encoder that tokenizes (the fake one) need not do it again
            if len(self.pending) >= EMBED_BATCH:
                self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        keys = list(self.pending)
        self.saved.add(keys, self.encoder.passages([self.pending[k] for k in keys]))
        self.pending.clear()
        self.done += len(keys)
        if self.bar is not None:
            self.bar.update(len(keys))
        if self.on_embedded is not None:
            self.on_embedded(self.done, len(self.todo))

    def finish(self) -> int:
        """Embed what is queued; close the bar; how many chunks were embedded."""
        try:
            self._flush()
        finally:
            if self.bar is not None:
                self.bar.close()
        return self.done
