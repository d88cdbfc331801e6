"""Segments (one article's share of a build each) → the files of a build's part, carried-over rows copied as bytes.

A segment is carried over from a part of the published build (its `rows` there)
or made now (`index.prepare`). Writing copies carried-over rows a run at a time —
chunk lines, vectors, postings by chunk: bytes and arrays, nothing parsed — and
merges the postings by term of the part most rows come from into the new part's
instead of sorting them again.
"""
from __future__ import annotations

import contextlib
import errno
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import bm25, store, vectors

ROW_DTYPE = np.dtype("<f4")  # the vectors' rows as stored: little-endian float32, whatever this machine's order
COPY_BLOCK = 1 << 24  # bytes a read-and-write copy moves at a time (16 MiB) where the kernel cannot copy


@dataclass
class Segment:
    """One article's part of a build: carried over from the published build (`rows`), or made now."""

    record: dict  # the articles.jsonl line (a carried-over one's "text_bytes"/"facts_bytes" are its old part's)
    text: bytes  # the text when read from its seed now; empty for a carried-over one copied from the build
    rows: range | None = None  # rows in its part of the published build, when carried over
    part: int = 0  # which part of the published build, when carried over
    lines: list[bytes] = field(default_factory=list)  # new chunks' lines of chunks.jsonl
    keys: list[str] = field(default_factory=list)  # new chunks' vector keys
    facts: bytes = b""  # new article's facts.jsonl lines
    # new chunks' postings by chunk: the build's term ids and counts, chunk after chunk; distinct terms and
    # tokens per chunk
    term_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    term_tf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    per_chunk: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))


def pieces(segments: list[Segment]) -> list[tuple[int, range] | Segment]:
    """Segments in row order, runs of carried-over articles that were neighbours in one old part joined into
    one (part, row range)."""
    out: list[tuple[int, range] | Segment] = []
    for s in segments:
        if s.rows is None:
            out.append(s)
        elif out and isinstance(out[-1], tuple) and out[-1][0] == s.part and out[-1][1].stop == s.rows.start:
            out[-1] = (s.part, range(out[-1][1].start, s.rows.stop))
        else:
            out.append((s.part, s.rows))
    return out


def write(path: Path, segments: list[Segment], old: tuple[store.Part, ...], vocab: list[str],
          made: dict[str, np.ndarray], dim: int, params: bm25.BM25Params) -> dict:
    """Segments → the files of one part in `path` (`index.store` layout, without the manifest); the counts.

    `old`: the published build's parts, which carried-over segments name. Their
    bytes (texts, facts, chunk lines, vector rows) go from those files to the new
    ones by `copy_bytes`, in the kernel: nothing passes through Python.
    """
    path.mkdir(exist_ok=True)
    n_chunks = sum(s.record["chunks"] for s in segments)
    carried = [0] * len(old)
    for s in segments:
        if s.rows is not None:
            carried[s.part] += len(s.rows)
    merge_from = max(range(len(old)), key=carried.__getitem__) if any(carried) else None
    sources = [_Published(part) for part in old]
    with contextlib.ExitStack() as opened, open(path / store.TEXTS, "wb", buffering=0) as texts, \
            open(path / store.FACTS, "wb", buffering=0) as found, \
            open(path / store.ARTICLES, "w", encoding="utf-8") as articles:
        for src in sources:
            opened.enter_context(src)
        at = facts_at = 0
        for s in segments:
            if s.rows is not None:
                src = sources[s.part]  # carried over: its facts, and its text unless read now, are copied
                text_span, facts_span = s.record["text_bytes"], s.record["facts_bytes"]
                if s.text:
                    _write_all(texts, s.text)
                else:
                    copy_bytes(src.fd(store.TEXTS), texts.fileno(), *text_span)
                copy_bytes(src.fd(store.FACTS), found.fileno(), *facts_span)
                size = len(s.text) or text_span[1] - text_span[0]
                facts_size = facts_span[1] - facts_span[0]
            else:
                _write_all(texts, s.text)
                _write_all(found, s.facts)
                size, facts_size = len(s.text), len(s.facts)
            articles.write(json.dumps({**s.record, "text_bytes": [at, at + size],
                                       "facts_bytes": [facts_at, facts_at + facts_size]}, ensure_ascii=False) + "\n")
            at += size
            facts_at += facts_size
        offsets = np.zeros(n_chunks + 1, dtype=np.int64)
        old_to_new = np.full(old[merge_from].bm25.corpus_size if merge_from is not None else 0, -1, dtype=np.int64)
        docs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        doc_len: list[np.ndarray] = []
        row_bytes = dim * ROW_DTYPE.itemsize
        row, line_at = 0, 0
        with open(path / store.CHUNKS, "wb", buffering=0) as lines, _new_rows(path / vectors.ROWS, n_chunks, dim) as rows:
            for piece in pieces(segments):
                if isinstance(piece, tuple):  # carried over
                    n, (a, b) = piece[0], (piece[1].start, piece[1].stop)
                    part, src, count = old[n], sources[n], b - a
                    first, last = int(part.chunks.offsets[a]), int(part.chunks.offsets[b])
                    copy_bytes(src.fd(store.CHUNKS), lines.fileno(), first, last)
                    offsets[row + 1:row + count + 1] = part.chunks.offsets[a + 1:b + 1] - first + line_at
                    line_at += last - first
                    p0, p1 = int(part.bm25.doc_ptr[a]), int(part.bm25.doc_ptr[b])
                    docs.append((part.bm25.doc_terms[p0:p1], part.bm25.doc_tf[p0:p1],
                                 np.diff(part.bm25.doc_ptr[a:b + 1])))
                    doc_len.append(part.bm25.doc_len[a:b])
                    data = src.npy_data(vectors.ROWS, (part.bm25.corpus_size, dim))
                    copy_bytes(src.fd(vectors.ROWS), rows.fileno(), data + a * row_bytes, data + b * row_bytes)
                    if n == merge_from:  # the others' postings are inserted as a new chunk's are
                        old_to_new[a:b] = np.arange(row, row + count)
                else:
                    count = len(piece.lines)
                    if count:
                        _write_all(lines, b"".join(piece.lines))
                        offsets[row + 1:row + count + 1] = line_at + np.cumsum([len(line) for line in piece.lines])
                        line_at = int(offsets[row + count])
                        block = np.stack([made[key] for key in piece.keys]).astype(ROW_DTYPE, copy=False)
                        _write_all(rows, np.ascontiguousarray(block).tobytes())
                        docs.append((piece.term_ids, piece.term_tf, piece.per_chunk))
                        doc_len.append(piece.lengths)
                row += count
    np.save(path / store.OFFSETS, offsets, allow_pickle=False)
    doc_ptr = np.zeros(n_chunks + 1, dtype=np.int64)
    if docs:
        np.cumsum(np.concatenate([d[2] for d in docs]), out=doc_ptr[1:])
    doc_terms = np.concatenate([d[0] for d in docs]).astype(np.int32, copy=False) if docs else np.zeros(0, np.int32)
    doc_tf = np.concatenate([d[1] for d in docs]).astype(np.int32, copy=False) if docs else np.zeros(0, np.int32)
    lengths = np.concatenate(doc_len).astype(np.int32, copy=False) if doc_len else np.zeros(0, np.int32)
    if (old_to_new >= 0).any():
        postings = bm25.merge(old[merge_from].bm25, old_to_new, vocab, doc_ptr, doc_terms, doc_tf, lengths, params)
    else:
        postings = bm25.from_chunks(vocab, doc_ptr, doc_terms, doc_tf, lengths, params)
    bm25.save(postings, path)
    vectors.save_ann(np.load(path / vectors.ROWS, mmap_mode="r"), path)
    return {"articles": len(segments), "chunks": n_chunks}


def copy_bytes(src: int, dst: int, start: int, end: int) -> None:
    """Bytes [start, end) of the file open as `src` → appended to the file open as `dst`.

    `os.copy_file_range` copies in the kernel (no trip through Python's memory);
    where a system lacks it, or a file system or sandbox refuses it, the bytes are
    read and written, `COPY_BLOCK` at a time.
    """
    kernel = getattr(os, "copy_file_range", None)  # Linux only
    while start < end:
        done = None
        if kernel is not None:
            try:
                done = kernel(src, dst, end - start, start)
            except OSError as err:
                if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM):
                    raise
                kernel = None
        if done is None:
            block = os.pread(src, min(end - start, COPY_BLOCK), start)
            done = len(block)
            _write_all(dst, block)
        if done == 0:
            raise OSError(errno.EIO, f"the published build's file ended at byte {start} of {end}")
        start += done


def _write_all(handle, data: bytes) -> None:
    """All of `data` to an unbuffered file or a file descriptor (a raw write may take part of it)."""
    write = (lambda view: os.write(handle, view)) if isinstance(handle, int) else handle.write
    view = memoryview(data)
    while view:
        view = view[write(view):]


@contextlib.contextmanager
def _new_rows(path: Path, n: int, dim: int):
    """An unbuffered file to append `n` rows of `dim` floats to, after the `.npy` header `np.save` would write."""
    with open(path, "wb", buffering=0) as handle:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": ROW_DTYPE.str, "fortran_order": False,
                                                      "shape": (n, dim)})
        _write_all(handle, header.getvalue())
        yield handle
        if handle.tell() != len(header.getvalue()) + n * dim * ROW_DTYPE.itemsize:
            raise ValueError(f"{path.name}: wrote {handle.tell()} bytes for {n} rows of {dim}")


class _Published:
    """A part of the published build: its files, each opened once for copying from."""

    def __init__(self, old: store.Part):
        self._folder = old.folder
        self._fds: dict[str, int] = {}
        self._data: dict[str, int] = {}

    def fd(self, name: str) -> int:
        if name not in self._fds:
            self._fds[name] = os.open(self._folder / name, os.O_RDONLY)
        return self._fds[name]

    def npy_data(self, name: str, shape: tuple[int, int]) -> int:
        """Where the rows start in the `.npy` file `name` (after its header), which must hold `shape` rows of
        `ROW_DTYPE` in C order — the bytes copied from it are taken as such."""
        if name not in self._data:
            with open(self._folder / name, "rb") as handle:
                major, _ = np.lib.format.read_magic(handle)
                read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                found, fortran, dtype = read(handle)
                if found != shape or fortran or dtype != ROW_DTYPE:
                    raise store.IndexCorrupt(f"{name} of the published build holds {found} {dtype} rows, not "
                                             f"{shape} {ROW_DTYPE} — {store.FIX}")
                self._data[name] = handle.tell()
        return self._data[name]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for fd in self._fds.values():
            os.close(fd)
