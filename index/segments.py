"""Segments (one article's part of a build each) → the files of a new build, carried-over rows copied as bytes.

A segment is carried over from the published build (its `rows` there) or made
now (`index.prepare`). Writing copies carried-over rows a run at a time — chunk
lines, vectors, postings by chunk: bytes and arrays, nothing parsed — and merges
their postings by term into the new build's instead of sorting them again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import bm25, store, vectors


@dataclass
class Segment:
    """One article's part of a build: carried over from the published build (`rows`), or made now."""

    record: dict  # the articles.jsonl line, without "text_bytes"
    text: bytes
    rows: range | None = None  # rows in the published build, when carried over
    lines: list[bytes] = field(default_factory=list)  # new chunks' lines of chunks.jsonl
    keys: list[str] = field(default_factory=list)  # new chunks' vector keys
    facts: bytes = b""  # new article's facts.jsonl lines
    # new chunks' postings by chunk: the build's term ids and counts, chunk after chunk; distinct terms and
    # tokens per chunk
    term_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    term_tf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    per_chunk: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))


def pieces(segments: list[Segment]) -> list[range | Segment]:
    """Segments in row order, runs of carried-over articles that were neighbours joined into one row range."""
    out: list[range | Segment] = []
    for s in segments:
        if s.rows is None:
            out.append(s)
        elif out and isinstance(out[-1], range) and out[-1].stop == s.rows.start:
            out[-1] = range(out[-1].start, s.rows.stop)
        else:
            out.append(s.rows)
    return out


def write(path: Path, segments: list[Segment], old: store.StoredIndex | None, vocab: list[str],
          made: dict[str, np.ndarray], dim: int, params: bm25.BM25Params) -> dict:
    """Segments → the files of a build in `path` (`index.store` layout, without the manifest); the counts."""
    old_facts = store._mapped(old.path / store.FACTS) if old is not None else b""
    with open(path / store.TEXTS, "wb") as texts, open(path / store.ARTICLES, "w", encoding="utf-8") as articles, \
            open(path / store.FACTS, "wb") as found:
        at = facts_at = 0
        for s in segments:
            texts.write(s.text)
            if s.rows is not None:  # carried over: its facts are the published build's lines
                start, end = s.record["facts_bytes"]
                s.facts = old_facts[start:end]
            found.write(s.facts)
            articles.write(json.dumps({**s.record, "text_bytes": [at, at + len(s.text)],
                                       "facts_bytes": [facts_at, facts_at + len(s.facts)]}, ensure_ascii=False) + "\n")
            at += len(s.text)
            facts_at += len(s.facts)
    n_chunks = sum(s.record["chunks"] for s in segments)
    offsets = np.zeros(n_chunks + 1, dtype=np.int64)
    rows = np.lib.format.open_memmap(path / vectors.ROWS, mode="w+", dtype=np.float32, shape=(n_chunks, dim))
    old_to_new = np.full(old.bm25.corpus_size if old else 0, -1, dtype=np.int64)
    docs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    doc_len: list[np.ndarray] = []
    row, line_at = 0, 0
    with open(path / store.CHUNKS, "wb") as lines:
        for piece in pieces(segments):
            if isinstance(piece, range):  # carried over
                a, b = piece.start, piece.stop
                count = b - a
                first, last = int(old.chunks.offsets[a]), int(old.chunks.offsets[b])
                lines.write(old.chunks._lines[first:last])
                offsets[row + 1:row + count + 1] = old.chunks.offsets[a + 1:b + 1] - first + line_at
                line_at += last - first
                p0, p1 = int(old.bm25.doc_ptr[a]), int(old.bm25.doc_ptr[b])
                docs.append((old.bm25.doc_terms[p0:p1], old.bm25.doc_tf[p0:p1], np.diff(old.bm25.doc_ptr[a:b + 1])))
                doc_len.append(old.bm25.doc_len[a:b])
                rows[row:row + count] = old.vectors.rows[a:b]
                old_to_new[a:b] = np.arange(row, row + count)
            else:
                count = len(piece.lines)
                if count:
                    lines.write(b"".join(piece.lines))
                    offsets[row + 1:row + count + 1] = line_at + np.cumsum([len(line) for line in piece.lines])
                    line_at = int(offsets[row + count])
                    rows[row:row + count] = np.stack([made[key] for key in piece.keys])
                    docs.append((piece.term_ids, piece.term_tf, piece.per_chunk))
                    doc_len.append(piece.lengths)
            row += count
    rows.flush()
    del rows
    np.save(path / store.OFFSETS, offsets, allow_pickle=False)
    doc_ptr = np.zeros(n_chunks + 1, dtype=np.int64)
    if docs:
        np.cumsum(np.concatenate([d[2] for d in docs]), out=doc_ptr[1:])
    doc_terms = np.concatenate([d[0] for d in docs]).astype(np.int32, copy=False) if docs else np.zeros(0, np.int32)
    doc_tf = np.concatenate([d[1] for d in docs]).astype(np.int32, copy=False) if docs else np.zeros(0, np.int32)
    lengths = np.concatenate(doc_len).astype(np.int32, copy=False) if doc_len else np.zeros(0, np.int32)
    if (old_to_new >= 0).any():
        postings = bm25.merge(old.bm25, old_to_new, vocab, doc_ptr, doc_terms, doc_tf, lengths, params)
    else:
        postings = bm25.from_chunks(vocab, doc_ptr, doc_terms, doc_tf, lengths, params)
    bm25.save(postings, path)
    vectors.save_graph(np.load(path / vectors.ROWS, mmap_mode="r"), path)
    return {"articles": len(segments), "chunks": n_chunks}
