"""seeds/ → a published index, touching only what changed: articles are segments reused by content hash.

An update reads the seed files' sizes and mtimes first; a file whose stat is
the one recorded keeps its recorded hash unread, so an update with nothing to
do reads the manifest and file stats only. Otherwise every seed is read and
decoded (milliseconds), and each article whose text (sha256), pipeline version
and settings are those of the published build is carried over as it is: its
chunk lines, its BM25 postings (term ids: the vocabulary is append-only) and
its vectors are copied from the published build, never re-chunked, re-tokenized
or re-embedded. New and changed articles are chunked and tokenized; their
vectors come from the previous build or an interrupted run's checkpoint when a
chunk's text and model are unchanged (keyed by `vector_key`), else from the
encoder, in batches of `EMBED_BATCH` checkpointed as they are made
(`index.checkpoint`). The merge writes a new build (the postings by term are one
stable sort) and `index.publish` swaps it in atomically; a removed article is
simply not carried over. The result equals a fresh build's. Updates hold the
lock of `index.publish` from start to publish, so two never interleave.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index import DEFAULT_MODEL, backend, bm25, checkpoint, embed, facts, publish, store, tokenize, vectors
from index.chunk import ChunkSizes, chunk_article, indexed_text
from index.load import file_hash, is_text_seed, read_seeds, seed_name
from index.meta import describe
from index.records import Rejected
from index.pipeline import pipeline_version
from index.status import seed_changes

EMBED_BATCH = 64  # passages per encoder call: one checkpoint file and one progress step each


@dataclass(frozen=True)
class BuildReport:
    """What an update did, for the CLI and the UI."""

    index_path: Path | None
    articles: int
    chunks: int
    embedded: int
    reused: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    rejected: tuple[Rejected, ...]
    seconds: float
    up_to_date: bool = False


@dataclass(frozen=True)
class BuildSettings:
    """Build-time settings, written into the manifest so query time cannot disagree."""

    sizes: ChunkSizes = field(default_factory=ChunkSizes)
    bm25: bm25.BM25Params = field(default_factory=bm25.BM25Params)


def vector_key(model_fingerprint: str, text: str) -> str:
    """A model's fingerprint and a chunk's indexed text → the sha1 hex a stored vector is reused under."""
    return hashlib.sha1(f"{model_fingerprint}\n{text}".encode("utf-8")).hexdigest()


def previous_model(manifest: dict) -> str | None:
    """The model a manifest was built with, as `update(model=...)` takes it (a fake model has a name, no path)."""
    model = manifest.get("model", {})
    return model.get("path") or model.get("name")


def milvus_in_sync(manifest: dict) -> bool:
    """Does the published build name a whole Milvus collection at GZQA_MILVUS_URI (else an update writes one)?"""
    from index import milvus_sync

    return milvus_sync.in_sync(manifest)


class NoArticles(ValueError):
    """The seeds folder holds no article that can be indexed; the previous index, if any, keeps serving."""


def seed_fingerprint(seeds_dir: Path, manifest: dict) -> tuple[dict[str, str], dict[str, list[int]]]:
    """(file name → hash, file name → [size, mtime ns]) of the seeds, as `index.load.fingerprint` gives them.

    A file whose size and mtime are those the manifest recorded keeps its
    recorded hash without being read (an editor that keeps both keeps the old
    text: the cost of not reading thousands of files on every update).
    """
    known, known_stats = manifest.get("seeds", {}), manifest.get("seed_stats", {})
    hashes: dict[str, str] = {}
    stats: dict[str, list[int]] = {}
    with os.scandir(seeds_dir) as entries:  # one directory read; `seed_paths`'s selection, by name
        found = sorted((e for e in entries if not e.name.startswith(".") and e.is_file()), key=lambda e: e.name)
    for entry in found:
        path = Path(entry.path)
        name = seed_name(path)
        try:
            stat = entry.stat()
            stats[name] = [stat.st_size, stat.st_mtime_ns]
            if not is_text_seed(path):
                hashes[name] = f"not-txt:{stat.st_size}:{stat.st_mtime_ns}"
            elif known_stats.get(name) == stats[name] and name in known:
                hashes[name] = known[name]
            else:
                hashes[name] = file_hash(path)
        except FileNotFoundError:
            stats.pop(name, None)
        except OSError as err:
            hashes[name] = f"unreadable:{err.errno}"
    return hashes, stats


def _published(index_dir: Path) -> store.StoredIndex | None:
    try:
        return store.load(index_dir, check_rules=False)  # an index of older rules still lends its vectors
    except store.IndexProblem:
        return None


@dataclass
class Segment:
    """One article's part of a build: carried over from the published build (`rows`), or made now."""

    record: dict  # the articles.jsonl line, without "text_bytes"
    text: bytes
    rows: range | None = None  # rows in the published build, when carried over
    lines: list[bytes] = field(default_factory=list)  # new chunks' lines of chunks.jsonl
    postings: list[tuple[np.ndarray, np.ndarray, int]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # new chunks' vector keys
    facts: bytes = b""  # new article's facts.jsonl lines


def update(seeds_dir: Path, index_dir: Path, model: str | None = None, force: bool = False,
           settings: BuildSettings = BuildSettings(),
           progress: Callable[[str], None] = lambda message: None, show_bar: bool = False,
           wait: bool = True, on_embedded: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring the index at `index_dir` up to date with `seeds_dir`; `force` rebuilds everything from the seeds.

    `model` defaults to the one the published index was built with. A published
    index that does not load (damaged, other schema) is rebuilt, not reported up to date.
    While another update runs, this one waits for it, or with `wait=False` raises `publish.IndexBusy`.
    `on_embedded(done, total)` is called after each embedding batch (`EMBED_BATCH` passages);
    `show_bar` draws a progress bar with rate and ETA on stderr.
    """
    started = time.monotonic()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"no seeds directory at {seeds_dir} — create it and put .txt articles in it")
    with publish.update_lock(index_dir, wait=wait,
                             on_wait=lambda: progress(f"waiting for another update of {index_dir} to finish")):
        publish.check_link(index_dir)
        publish.collect_garbage(index_dir)
        publish.pause("locked")
        try:
            old_manifest = store.read_manifest(index_dir)
        except store.IndexProblem:
            old_manifest = {}
        model = model or previous_model(old_manifest) or DEFAULT_MODEL
        identity = embed.model_identity(model)
        seeds, seed_stats = seed_fingerprint(seeds_dir, old_manifest)
        diff = seed_changes(old_manifest.get("seeds", {}), seeds)
        added, changed, removed = (tuple(diff[k]) for k in ("added", "changed", "removed"))
        was_refused = {r["source"] for r in old_manifest.get("rejected", [])}
        removed = tuple(name for name in removed if name not in was_refused)  # never indexed, so not removed
        to_milvus = backend.chosen() == "milvus"
        intact = bool(old_manifest) and not force and store.verify(index_dir)
        same_build = (intact and old_manifest["model"].get("fingerprint") == identity["fingerprint"]
                      and old_manifest.get("pipeline_version") == pipeline_version()
                      and old_manifest.get("settings") == _settings_json(settings)
                      and (not to_milvus or milvus_in_sync(old_manifest)))
        if same_build and not (added or changed or removed):
            counts = old_manifest["counts"]
            return BuildReport(index_dir.resolve(), counts["articles"], counts["chunks"], 0, 0, (), (), (),
                               tuple(Rejected(**r) for r in old_manifest.get("rejected", [])),
                               time.monotonic() - started, up_to_date=True)

        progress(f"reading {len(seeds)} seed files")
        texts, rejected = read_seeds(seeds_dir)
        indexed = {t.source for t in texts}
        added = tuple(name for name in added if name in indexed)  # a refused file is reported as refused only
        changed = tuple(name for name in changed if name in indexed or name in was_refused)
        if not texts:
            refused = "; ".join(f"{r.source}: {r.reason}" for r in rejected[:3])
            raise NoArticles(f"no article to index in {seeds_dir}" + (f" ({refused})" if refused else "")
                             + " — add UTF-8 .txt articles, then run the command again")

        old = _published(index_dir) if intact else None
        before = old_manifest.get("model") or {}
        if before.get("fingerprint") not in (None, identity["fingerprint"]):
            progress(f"the model changed ({before.get('name')} → {identity['name']}): every chunk is embedded anew")
        same_model = old is not None and old.model.get("fingerprint") == identity["fingerprint"]
        carry = same_build and same_model  # whole articles carried over: same rules, settings and model
        vocab = list(old.bm25.vocab) if carry else []
        ids = {term: i for i, term in enumerate(vocab)}
        old_rows = _article_rows(old) if carry else {}
        segments, fresh = [], []
        for t in texts:
            record = old.articles.records.get(t.source) if carry else None
            if record is not None and record["sha256"] == t.sha256:
                segments.append(Segment({k: v for k, v in record.items() if k != "text_bytes"},
                                        t.text.encode("utf-8"), rows=old_rows[t.source]))
            else:
                fresh.append(len(segments))
                segments.append(Segment({}, t.text.encode("utf-8")))
        progress(f"{len(texts)} articles: {len(texts) - len(fresh)} carried over, {len(fresh)} to chunk")
        with _workers(len(fresh)) as pool:
            prepared = pool.map(_prepare, [(texts[n].source, texts[n].text, texts[n].sha256, settings.sizes)
                                           for n in fresh])
            for n, (record, lines, chunk_texts, found) in zip(fresh, prepared):
                segments[n].record, segments[n].lines, segments[n].facts = record, lines, found
                segments[n].keys = [vector_key(identity["fingerprint"], t) for t in chunk_texts]
            chunk_total = sum(s.record["chunks"] for s in segments)
            reusable = _reusable_vectors(old, identity["fingerprint"], {t.source for t in texts},
                                         {segments[n].record["source"] for n in fresh}) if same_model else {}
            saved = checkpoint.Checkpoint(index_dir, identity["fingerprint"])
            todo: dict[str, str] = {}
            for n, (_, _, chunk_texts, _) in zip(fresh, prepared):
                for key, text in zip(segments[n].keys, chunk_texts):
                    if key not in reusable and key not in saved.rows:
                        todo.setdefault(key, text)
            progress(f"tokenizing {sum(len(p[2]) for p in prepared)} chunks; embedding {len(todo)} new "
                     f"(reusing {chunk_total - len(todo)})")
            embedder = Embedder(todo, saved, model, show_bar, on_embedded)
            tokenized = pool.imap(_tokenize, [p[2] for p in prepared])
            for n, (_, _, chunk_texts, _), words_of in zip(fresh, prepared, tokenized):
                for key, text, words in zip(segments[n].keys, chunk_texts, words_of):
                    segments[n].postings.append((*bm25.count(words, ids, vocab), len(words)))
                    embedder.offer(key, text, words)
            embedded = embedder.finish()

        progress("writing index")
        tmp = publish.new_build_dir(index_dir)
        dim = old.vectors.d if carry else _dim(saved, reusable, model)
        counts = _write(tmp, segments, old, vocab, {**reusable, **saved.rows}, dim, settings)
        manifest = {
            "schema_version": store.SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {**identity, "dim": dim},
            "tokenizer": _tokenizer(),
            "pipeline_version": pipeline_version(),
            "settings": _settings_json(settings),
            "seeds": seeds,
            "seed_stats": seed_stats,
            "rejected": [{"source": r.source, "reason": r.reason} for r in rejected],
            "counts": {**counts, "embedded": embedded, "reused": counts["chunks"] - embedded},
            "files": {p.name: store.file_record(p) for p in sorted(tmp.iterdir())},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if to_milvus:  # the collection is complete and aliased before the build naming it is published
            from index import milvus_sync

            built = store._load_build(tmp, tmp)
            milvus_sync.sync(tmp, old_manifest, built.articles, built.chunks,
                             [built.terms(row) for row in range(len(built.chunks))], built.vectors.rows, identity,
                             progress)
        publish.pause("written")
        final = publish.publish(tmp, index_dir)
        publish.pause("published")
        checkpoint.clear(index_dir)
        publish.collect_garbage(index_dir)
    return BuildReport(final, counts["articles"], counts["chunks"], embedded, counts["chunks"] - embedded,
                       added, changed, removed, tuple(rejected), time.monotonic() - started)


def _article_rows(old: store.StoredIndex) -> dict[str, range]:
    """Source → its chunk rows in the published build (articles.jsonl is in row order)."""
    out, start = {}, 0
    for source, record in old.articles.records.items():
        out[source] = range(start, start + record["chunks"])
        start += record["chunks"]
    return out


def _reusable_vectors(old: store.StoredIndex | None, fingerprint_: str, kept: set[str],
                      remade: set[str]) -> dict[str, np.ndarray]:
    """Vectors of the published build's chunks that are not carried over whole, by key (same model only).

    Those are the chunks of changed, renamed and removed articles; when nothing
    is carried over (other rules or settings), every chunk of the build.
    """
    if old is None:
        return {}
    rows = _article_rows(old)
    carried = kept - remade if old.manifest.get("pipeline_version") == pipeline_version() else set()
    out = {}
    for source, span in rows.items():
        if source in carried:
            continue
        for row in span:
            out[vector_key(fingerprint_, indexed_text(old.chunks[row]))] = np.array(old.vectors.rows[row])
    return out


def _dim(saved: checkpoint.Checkpoint, reusable: dict[str, np.ndarray], model: str) -> int:
    """The width of the vectors this build will hold (1 when it holds none)."""
    for row in list(saved.rows.values())[:1] + list(reusable.values())[:1]:
        return len(row)
    return 1


PARALLEL_MIN_ARTICLES = 40  # below this, worker start-up (jieba's dictionary, ≈0.3 s each) costs more than it saves


@contextlib.contextmanager
def _workers(articles: int):
    """A pool of processes (one a core) to chunk and tokenize many articles, or this process for a few.

    jieba is pure Python: tokenizing is most of a large build, and it parallelises
    by article. Workers (forkserver: clean processes, not copies of a threaded server) get plain
    strings and return plain lists.
    """
    processes = min(os.cpu_count() or 1, MAX_WORKERS)
    if articles < PARALLEL_MIN_ARTICLES or processes < 2:
        yield _Serial()
        return
    import multiprocessing

    with multiprocessing.get_context("forkserver").Pool(processes) as pool:
        yield pool


MAX_WORKERS = 4  # beyond this, the parent (counting postings, embedding) is the bottleneck


class _Serial:
    """The two calls of a process pool that `update` uses, run in this process."""

    @staticmethod
    def map(fn, items):
        return [fn(item) for item in items]

    @staticmethod
    def imap(fn, items):
        return (fn(item) for item in items)


def _prepare(job: tuple) -> tuple[dict, list[bytes], list[str], bytes]:
    """(source, text, sha256, chunk sizes) → (articles.jsonl record, chunks.jsonl lines, indexed texts,
    the article's facts.jsonl lines)."""
    source, text, sha256, sizes = job
    article = describe(source, text, sha256)
    chunks = chunk_article(article.source, article.text, sizes)
    lines = [(json.dumps(c.to_json(), ensure_ascii=False) + "\n").encode("utf-8") for c in chunks]
    found = "".join(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in facts.extract(article))
    return ({**article.metadata(), "chunks": len(chunks)}, lines, [indexed_text(c) for c in chunks],
            found.encode("utf-8"))


def _tokenize(texts: list[str]) -> list[list[str]]:
    """An article's chunk texts → their index terms."""
    return [tokenize.tokens(t) for t in texts]


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

    def offer(self, key: str, text: str, words: list[str]) -> None:
        """A chunk's key, text and tokens: queued when it still needs a vector; a full queue is embedded."""
        if key in self.todo and key not in self.pending and key not in self.saved.rows:
            self.pending[key] = text
            tokenize.remember(text, words)  # an encoder that tokenizes (the fake one) need not do it again
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


def _settings_json(settings: BuildSettings) -> dict:
    """Build settings → the manifest's "settings" entry (compared on update to decide "same build")."""
    return {"chunk_sizes": asdict(settings.sizes), "bm25": asdict(settings.bm25)}


def _tokenizer() -> dict:
    import jieba

    return {"name": "jieba", "version": jieba.__version__, "mode": "cut_for_search",
            "dictionary": f"jieba dict.txt, frequency >= {tokenize.MIN_FREQ}, + project words"}


def _pieces(segments: list[Segment]) -> list[range | Segment]:
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


def _write(path: Path, segments: list[Segment], old: store.StoredIndex | None, vocab: list[str],
           made: dict[str, np.ndarray], dim: int, settings: BuildSettings) -> dict:
    """Segments → the files of a build in `path` (`index.store` layout, without the manifest); the counts.

    Carried-over rows are copied a run at a time (bytes and arrays, nothing parsed);
    their postings by term are merged into the new build's, not sorted again.
    """
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
        for piece in _pieces(segments):
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
                for i, (line, key) in enumerate(zip(piece.lines, piece.keys)):
                    lines.write(line)
                    line_at += len(line)
                    offsets[row + i + 1] = line_at
                    rows[row + i] = made[key]
                if piece.postings:
                    docs.append((np.concatenate([p[0] for p in piece.postings]),
                                 np.concatenate([p[1] for p in piece.postings]),
                                 np.array([len(p[0]) for p in piece.postings])))
                    doc_len.append(np.array([p[2] for p in piece.postings], dtype=np.int32))
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
        postings = bm25.merge(old.bm25, old_to_new, vocab, doc_ptr, doc_terms, doc_tf, lengths, settings.bm25)
    else:
        postings = bm25.from_chunks(vocab, doc_ptr, doc_terms, doc_tf, lengths, settings.bm25)
    bm25.save(postings, path)
    vectors.save_graph(np.load(path / vectors.ROWS, mmap_mode="r"), path)
    return {"articles": len(segments), "chunks": n_chunks}
