"""An article → all a build keeps of it (record, chunk lines, facts, vector keys, term counts), in one worker pass.

A build sends each new article's text to a worker once and gets back plain
data: no text travels twice, and no token list travels at all. The worker
counts each chunk's terms itself against the article's own small vocabulary
(terms in order of first appearance); the parent maps that vocabulary onto the
build's (`Vocabulary.ids_of`: one dict look-up per distinct term of the
article, then array indexing), so the build's term ids are the ones counting
every token in the parent gave: a term's id is the order of its first
appearance, article after article, chunk after chunk.

Workers are processes, one a core (jieba and the facts' regular expressions are
pure Python and parallelise by article), started by forkserver (clean
processes, not copies of a threaded server). Below `PARALLEL_MIN_ARTICLES` the
pass runs in this process.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import facts, tokenize
from index.chunk import ChunkSizes, chunk_article, indexed_text
from index.meta import describe

PARALLEL_MIN_ARTICLES = 40  # below this, worker start-up (jieba's dictionary, ≈0.3 s each) costs more than it saves
MAX_WORKERS = 4  # beyond this, the parent (mapping terms, embedding) is the bottleneck
WORKER_BATCH = 8  # articles sent to a worker at once: fewer round trips, results still arrive steadily
_to_json = json.JSONEncoder(ensure_ascii=False).encode  # `json.dumps(…, ensure_ascii=False)`, one encoder for all rows


def vector_key(model_fingerprint: str, text: str) -> str:
    """A model's fingerprint and a chunk's indexed text → the sha1 hex a stored vector is reused under."""
    return hashlib.sha1(f"{model_fingerprint}\n{text}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Job:
    """What a worker needs of one article."""

    source: str
    text: str
    sha256: str
    sizes: ChunkSizes
    model_fingerprint: str


@dataclass(frozen=True)
class Prepared:
    """One article made ready for a build: its articles.jsonl record, chunks.jsonl lines, facts.jsonl lines,
    and per chunk its indexed text, vector key and term counts (against `terms`, the article's own vocabulary)."""

    record: dict
    lines: list[bytes]
    texts: list[str]
    keys: list[str]
    facts: bytes
    terms: list[str]  # the article's distinct terms, in order of first appearance
    term_ids: np.ndarray  # int32, chunk after chunk: indexes into `terms`, each chunk's in order of first appearance
    term_tf: np.ndarray  # int32, the count of each of those in its chunk
    per_chunk: np.ndarray  # int64, how many distinct terms each chunk has
    lengths: np.ndarray  # int32, each chunk's token count

    def counts(self, chunk: int, ptr: np.ndarray) -> dict[str, int]:
        """Chunk `chunk`'s terms → their counts (`ptr`: the cumulated `per_chunk`, from 0)."""
        a, b = int(ptr[chunk]), int(ptr[chunk + 1])
        return dict(zip(map(self.terms.__getitem__, self.term_ids[a:b].tolist()), self.term_tf[a:b].tolist()))


def article(job: Job) -> Prepared:
    """One article's text → its `Prepared` form (describe, chunk, extract facts, tokenize, count)."""
    described = describe(job.source, job.text, job.sha256)
    chunks = chunk_article(described.source, described.text, job.sizes)
    lines = [(_to_json(c.to_json()) + "\n").encode("utf-8") for c in chunks]
    found = "".join(_to_json(f.to_json()) + "\n" for f in facts.extract(described))
    texts = [indexed_text(c) for c in chunks]
    local: dict[str, int] = {}
    term_ids: list[int] = []
    term_tf: list[int] = []
    per_chunk, lengths = [], []
    for text in texts:
        words = tokenize.tokens(text)
        counted = Counter(words)  # insertion order: first appearance in the chunk
        unseen = [term for term in counted if term not in local]  # new to the article: the next ids, in order
        local.update(zip(unseen, range(len(local), len(local) + len(unseen))))
        term_ids.extend(map(local.__getitem__, counted))
        term_tf.extend(counted.values())
        per_chunk.append(len(counted))
        lengths.append(len(words))
    return Prepared({**described.metadata(), "chunks": len(chunks)}, lines, texts,
                    [vector_key(job.model_fingerprint, t) for t in texts], found.encode("utf-8"), list(local),
                    np.array(term_ids, dtype=np.int32), np.array(term_tf, dtype=np.int32),
                    np.array(per_chunk, dtype=np.int64), np.array(lengths, dtype=np.int32))


class Vocabulary:
    """The build's terms, append-only: a term's id is its place in `terms`."""

    def __init__(self, terms: list[str]):
        self.terms = list(terms)
        self.ids = {term: i for i, term in enumerate(self.terms)}

    def ids_of(self, terms: list[str]) -> np.ndarray:
        """An article's vocabulary → the build's ids of its terms, unseen terms appended in their order."""
        ids, known = self.ids, self.terms
        found = list(map(ids.get, terms))  # one look-up a term; then only the unseen ones, in order, get new ids
        if None in found:
            for n, i in enumerate(found):
                if i is None:
                    found[n] = ids[terms[n]] = len(known)
                    known.append(terms[n])
        return np.array(found, dtype=np.int32)


@contextlib.contextmanager
def workers(articles: int):
    """A pool of processes (one a core) for `article`, or this process for a few articles.

    Either has `cpu_seconds()`: the CPU time its processes have used so far
    (worker processes are no children of the caller, so the caller's own rusage leaves them out).
    """
    processes = min(os.cpu_count() or 1, MAX_WORKERS)
    if articles < PARALLEL_MIN_ARTICLES or processes < 2:
        yield _Serial()
        return
    import multiprocessing

    with multiprocessing.get_context("forkserver").Pool(processes) as pool:
        yield _Pool(pool)


class _Pool:
    """A process pool, and what its workers have cost."""

    def __init__(self, pool):
        self.pool = pool

    def imap(self, fn, items, chunksize: int = 1):
        return self.pool.imap(fn, items, chunksize)

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the live workers, from /proc (None where there is no /proc)."""
        total = 0.0
        for process in self.pool._pool:  # noqa: SLF001 - the pool's own list of its worker processes
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        return total


class _Serial:
    """The call of a process pool that a build uses, run in this process."""

    @staticmethod
    def imap(fn, items, chunksize: int = 1):
        return (fn(item) for item in items)

    @staticmethod
    def cpu_seconds() -> float:
        return 0.0  # counted in this process's own time
