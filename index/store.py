"""The index on disk: a directory a person can read, checked on load, read lazily (`index.publish` writes it).

Layout of one build (`var/index` is a symlink to the published one):
    var/index.builds/<id>/manifest.json        schema, model, tokenizer, seeds, settings, counts, and
                                               size, mtime and sha256 of each file below
                         /articles.jsonl       one article a line: metadata, chunk count, where its text is
                         /texts.txt            the articles' texts, one after another (UTF-8)
                         /chunks.jsonl         one chunk a line: text, section, spans
                         /chunks.offsets.npy   byte offset of each line of chunks.jsonl (and the end)
                         /bm25.vocab.json      BM25 vocabulary (term ids are positions)
                         /bm25.*.npy           BM25 postings by term and by chunk, chunk lengths (`index.bm25`)
                         /vectors.npy          one vector per chunk, in chunks.jsonl order
                         /vectors.ivf.faiss    at ≥ `vectors.ANN_MIN_ROWS` chunks only: an IVF index over them
                                               (faiss; its nprobe chosen by the build)
                         /vectors.ivf.json     and the settings and recall the build measured of it
                         /facts.jsonl          one figure a line: place, year, indicator, value, citation
                                               (`index.facts`; read on first use)
                         /recent/…             when there is one, the build's recent part: the same files for
                                               the articles added or changed since the files above were written

A build is one part (the files at its top) or two: the base and a recent part
(`BASE`, `RECENT`), rows numbered base first. An update that adds, changes or
removes a few articles (`index.build`) links the published build's base files
into the new build — the same bytes, nothing copied — and writes the recent part
anew; an article of the base that is gone (removed, or changed and held anew by
the recent part) is listed in the manifest as hidden: its rows stay in the
files, count in no statistic and are never returned. Once the recent part and
the hidden rows outgrow a share of the base, the update writes one part again.

A cold load reads the manifest, the articles' metadata and the vocabulary;
chunks, postings and vectors are memory-mapped and read a row at a time, an
article's text when asked for. Each file is checked against the manifest: a
file whose size and modification time are those recorded is trusted without
reading it; any other is read and checked against its sha256 (so a copied
index loads, slower; a damaged one is an error naming the fix). Concession:
damage that keeps a file's size and mtime (bit rot under the file system) is
not caught at load; reading 100 MB of vectors on every cold ask to catch it
would cost more than the whole ask.
`load` resolves the link once and reads every file from that one build, so a
link that moves while it reads (a concurrent publish) makes it read the new
build instead, never a mix.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash

from index.api import Catalog
from index import bm25, vectors
from index.facts import Fact
from index.records import Article, Chunk, Clue, part_of

SCHEMA_VERSION = 4  # 4: a build of parts ("parts"); 3: lazy layout (texts.txt, chunk offsets, BM25 and vectors as
# .npy), file stats in "files" — a build of schema 3 is read as one part
READABLE_SCHEMAS = (3, SCHEMA_VERSION)
BASE, RECENT = ".", "recent"  # the folders of a build's parts, relative to it: the base's files are at its top
ARTICLES, TEXTS, CHUNKS, OFFSETS = "articles.jsonl", "texts.txt", "chunks.jsonl", "chunks.offsets.npy"
FACTS = "facts.jsonl"
REQUIRED = (ARTICLES, TEXTS, CHUNKS, OFFSETS, FACTS) + bm25.FILES + (vectors.ROWS,)
FIX = "run 'gzqa index build --force'"


def where(index_dir: Path) -> str:
    """' --index-dir DIR' when the index is not the default one, for a fix a user can paste."""
    from index import DEFAULT_INDEX

    return "" if Path(index_dir).resolve() == Path(DEFAULT_INDEX).resolve() else f" --index-dir {index_dir}"


class IndexProblem(Exception):
    """Base of the errors a user can fix by rebuilding; the message names the command."""


class IndexMissing(IndexProblem):
    """No index at the given path (never built, or the link is gone)."""


class IndexCorrupt(IndexProblem):
    """The index is there but unreadable, damaged or inconsistent."""


class IndexStale(IndexProblem):
    """The index is whole but was built by another schema, model or set of rules than this code's."""


CHECKSUM = "xxh3_128"  # the manifest's key for a data file's checksum; builds before 2026-11-30 recorded "sha256"


def file_checksum(path: Path, algorithm: str = CHECKSUM) -> str:
    """A file → the hex checksum of its bytes: xxh3-128 (fast; it guards against damage, not tampering), or
    sha256 for a manifest written before. Read through a memory map: no copy through a buffer."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            data: mmap.mmap | bytes = b""
        else:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return (xxhash.xxh3_128(data) if algorithm == CHECKSUM else hashlib.sha256(data)).hexdigest()
        finally:
            if isinstance(data, mmap.mmap):
                data.close()


def file_record(path: Path) -> dict:
    """What the manifest records of a data file: size, modification time (ns) and checksum."""
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, CHECKSUM: file_checksum(path)}


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Records → `path`, one JSON object a line (UTF-8, Chinese unescaped)."""
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """A JSON-lines file → its records, in order (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _mapped(path: Path) -> mmap.mmap | bytes:
    """A file's bytes, memory-mapped (an empty file cannot be mapped: its empty bytes)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class StoredArticle(Article):
    """An `Article` whose text is read from the build's texts file when first asked for.

    Metadata (year, city, date) is what answering reads of every article; the
    text only of the few cited, so a cold ask over thousands of articles reads few texts.
    """

    def __init__(self, record: dict, texts: mmap.mmap | bytes):
        def clue(name: str) -> Clue | None:
            value = record.get(name)
            return Clue(**value) if value else None

        for name, value in (("source", record["source"]), ("sha256", record["sha256"]), ("title", clue("title")),
                            ("publisher", clue("publisher")), ("date", clue("date")), ("year", clue("year")),
                            ("city", clue("city"))):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_span", tuple(record["text_bytes"]))
        object.__setattr__(self, "_texts", texts)
        object.__setattr__(self, "_text", None)

    @property
    def text(self) -> str:  # type: ignore[override]
        if self._text is None:
            start, end = self._span
            object.__setattr__(self, "_text", bytes(self._texts[start:end]).decode("utf-8"))
        return self._text


class Articles(dict):
    """The build's articles by source: metadata read at load, each record made on first look, each text
    when first asked for. A dict underneath, so a look-up once made costs what a dict's does (answering
    reads every article's year for every question)."""

    def __init__(self, parts: list[Part]):
        super().__init__()
        self.records: dict[str, dict] = {}  # the articles in row order, part after part; none hidden
        self._texts: dict[str, mmap.mmap | bytes] = {}  # the texts file of each one's part
        self._spans: dict[str, tuple[int, int]] = {}  # each one's rows: an article's chunks are consecutive
        hidden: list[np.ndarray] = []
        at = 0
        for part in parts:
            for record in part.records:
                n = int(record.get("chunks", 0))
                if record["source"] in part.hidden:
                    hidden.append(np.arange(at, at + n, dtype=np.int64))
                else:
                    self.records[record["source"]] = record
                    self._texts[record["source"]] = part.texts
                    self._spans[record["source"]] = (at, at + n)
                at += n
        self.hidden_rows = np.concatenate(hidden) if hidden else np.zeros(0, np.int64)  # rows no search returns

    def __missing__(self, source: str) -> Article:
        made = self[source] = StoredArticle(self.records[source], self._texts[source])  # KeyError when unknown
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, source: object) -> bool:
        return source in self.records

    def keys(self):
        return self.records.keys()

    def values(self):
        return [self[source] for source in self.records]

    def items(self):
        return [(source, self[source]) for source in self.records]

    def get(self, source, default=None):
        return self[source] if source in self.records else default

    def holds_text(self, source: str) -> bool:
        """Are the bytes of `source`'s text in the texts file still the ones its sha256 names (undamaged)?"""
        start, end = self.records[source]["text_bytes"]
        return hashlib.sha256(self._texts[source][start:end]).hexdigest() == self.records[source]["sha256"]

    def rows_of(self, sources: Collection[str]) -> np.ndarray:
        """The chunk rows of the articles `sources`."""
        spans = [self._spans[s] for s in sources if s in self._spans]
        return (np.concatenate([np.arange(a, b) for a, b in spans]) if spans else np.zeros(0, np.int64))


CHUNK_CACHE = 4096  # parsed chunks kept per loaded index: a question reads ~100 of them


class ChunkLines:
    """One part's chunks.jsonl, memory-mapped, and the byte offset of each line."""

    def __init__(self, folder: Path):
        self._lines = _mapped(folder / CHUNKS)
        self.offsets = np.load(folder / OFFSETS, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        if self.offsets.ndim != 1 or len(self.offsets) < 1 or int(self.offsets[-1]) != len(self._lines):
            raise ValueError("chunk offsets do not match chunks.jsonl")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def line(self, row: int) -> bytes:
        """Row → its line of chunks.jsonl, as stored (an update copies it unparsed)."""
        return bytes(self._lines[int(self.offsets[row]):int(self.offsets[row + 1])])


class Chunks(Sequence[Chunk]):
    """The build's chunks by row, part after part, each parsed from its line of chunks.jsonl when first read."""

    def __init__(self, parts: list[ChunkLines]):
        self.parts = parts
        self.starts = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
        self._cache: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return int(self.starts[-1])

    def line(self, row: int) -> bytes:
        """Row → its line of chunks.jsonl, as stored."""
        n, local = part_of(self.starts, row)
        return self.parts[n].line(local)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        chunk = self._cache.get(row)
        if chunk is None:
            if len(self._cache) >= CHUNK_CACHE:
                self._cache.clear()
            chunk = self._cache[row] = Chunk.from_json(json.loads(self.line(row)))
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        for row in range(len(self)):
            yield Chunk.from_json(json.loads(self.line(row)))


@dataclass(frozen=True)
class Part:
    """One part of a build, read lazily: its articles' records, texts, chunk lines, BM25 postings, vectors; and
    the articles it still holds but that are gone (removed, or changed and held anew by the recent part)."""

    folder: Path
    records: list[dict]
    texts: mmap.mmap | bytes
    chunks: ChunkLines
    bm25: bm25.Postings
    vectors: vectors.Vectors
    hidden: frozenset[str] = frozenset()

    @classmethod
    def read(cls, folder: Path, params: bm25.BM25Params, hidden: Collection[str] = ()) -> "Part":
        return cls(folder, read_jsonl(folder / ARTICLES), _mapped(folder / TEXTS), ChunkLines(folder),
                   bm25.load(folder, params), vectors.load(folder), frozenset(hidden))


@dataclass
class StoredIndex:
    """The embedded backend of `index.api.Index`: lazily read articles and chunks, BM25 postings, vectors."""

    path: Path
    manifest: dict
    parts: tuple[Part, ...]
    articles: Articles
    chunks: Chunks
    bm25: bm25.Joined
    vectors: vectors.Joined
    _encoder: object = field(default=None, repr=False)
    _last_query: tuple[str, object] | None = field(default=None, repr=False)
    _last_dense: tuple[tuple, list] | None = field(default=None, repr=False)
    _last_similarities: tuple[str, np.ndarray] | None = field(default=None, repr=False)
    _facts: tuple[Fact, ...] | None = field(default=None, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)
    _idf: dict[str, float] = field(default_factory=dict, repr=False)

    def catalog(self) -> Catalog:
        """The articles' years, cities and dates, grouped (`index.api.Catalog`), made on first call."""
        if self._catalog is None:
            self._catalog = Catalog.of(self.articles)
        return self._catalog

    def facts(self) -> tuple[Fact, ...]:
        """Every figure the articles state, in article and reading order (facts.jsonl, read on first call)."""
        if self._facts is None:
            try:
                self._facts = tuple(fact for part in self.parts for fact in load_facts(part.folder / FACTS)
                                    if fact.source not in part.hidden)
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise IndexCorrupt(f"index in {self.path} is damaged ({FACTS}: {err.__class__.__name__}) — {FIX}") from err
        return self._facts

    def terms(self, row: int) -> dict[str, int]:
        """The indexed tokens of chunk `row` (term → count)."""
        return self.bm25.terms(row)

    def vocabulary(self) -> Sequence[str]:
        """Every term BM25 has indexed (append-only across updates: a term no chunk holds any more has idf 0.0)."""
        return self.bm25.vocab

    def idf(self, term: str) -> float:
        """BM25Plus idf of `term` (0.0 when no chunk holds it), remembered: a question's concepts are weighed
        again for each of its ≈ 100 candidate chunks, and a build's idf never changes."""
        known = self._idf.get(term)
        if known is None:
            known = self._idf[term] = self.bm25.idf(term)
        return known

    def lexical(self, terms, k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, BM25 score) of the best `k` chunks holding at least one of `terms` (of `sources`' articles only)."""
        within = None if sources is None else self.articles.rows_of(sources)
        return self.bm25.rank(list(terms), k, within)

    def dense(self, text: str, k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` chunks nearest to `text`; the last question's vector and result are kept for
        a retry (answering asks again with the year relaxed; at 100k chunks a search reads 100 MB of vectors)."""
        # Each kept slot is read once into a local: a server's threads ask side by side, and another question's
        # vector may replace the slot between a check and a use.
        key = (text, k, None if sources is None else tuple(sorted(sources)))
        last = self._last_dense
        if last is not None and last[0] == key:
            return list(last[1])
        asked = self._last_query
        if asked is None or asked[0] != text:
            asked = self._last_query = (text, self.query_encoder().query(text))
        query = asked[1]
        try:  # the ANN index is read on first search: a damaged header, list or row id shows here; damaged
            # vectors inside a list that keep the file's size and mtime do not (as for vectors.npy)
            exact_only = self.vectors.exact_only()
            if exact_only:  # one product over all the rows answers every search of this question (each year's)
                similar = self._last_similarities
                if similar is None or similar[0] != text:
                    similar = self._last_similarities = (text, self.vectors.similarities(query))
                rows = self.vectors.shown() if sources is None else self.articles.rows_of(sources)
                found = vectors.best(similar[1][rows], rows, k)
            elif sources is None:
                found = self.vectors.search(query, k)
            else:
                found = self.vectors.exact(query, k, self.articles.rows_of(sources))
        except ValueError as err:
            raise IndexCorrupt(f"index in {self.path} is damaged ({err}) — {FIX}") from err
        self._last_dense = (key, found)
        return list(found)

    @property
    def model(self) -> dict:
        """The manifest's model entry: name, path, fingerprint, dim, query engine."""
        return self.manifest["model"]

    def query_encoder(self, quick: bool = False):
        """The question encoder this index was built for (loaded once, on first use; `quick`: for one question,
        the one that opens fastest — `index.embed.query_encoder`)."""
        if self._encoder is None:
            from index.embed import query_encoder

            encoder = query_encoder(self.model, quick)
            if self.vectors.ntotal and encoder.dim != self.vectors.d:
                raise IndexStale(f"index in {self.path} holds {self.vectors.d}-dimensional vectors but its model "
                                 f"{self.model.get('name')} gives {encoder.dim} — {FIX}")
            self._encoder = encoder
        return self._encoder


MANIFEST_PARTS = {"model": dict, "counts": dict, "seeds": dict, "files": dict}


def read_manifest(index_dir: Path, build: Path | None = None) -> dict:
    """The manifest of the published index (or of `build`, the build it links to), checked for shape and schema."""
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexMissing(f"no index in {index_dir} — run 'gzqa index build{where(index_dir)}'")
    if not index_dir.is_dir():
        raise IndexMissing(f"{index_dir} is a file, not an index — give --index-dir the index link (default "
                           f"var/index), or move the file away and run 'gzqa index build{where(index_dir)}'")
    if not index_dir.is_symlink() and not (index_dir / "manifest.json").exists():
        raise IndexMissing(f"{index_dir} is a folder without an index (no manifest.json) — give --index-dir the "
                           f"index link (default var/index), or move the folder away and run "
                           f"'gzqa index build{where(index_dir)}'")
    try:
        manifest = json.loads(((build or index_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise IndexCorrupt(f"index manifest in {index_dir} unreadable ({err.__class__.__name__}) — {FIX}") from err
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"index manifest in {index_dir} is not a JSON object — {FIX}")
    if manifest.get("schema_version") not in READABLE_SCHEMAS:
        raise IndexStale(f"index in {index_dir} has schema version {manifest.get('schema_version')}, "
                         f"this gzqa reads version {SCHEMA_VERSION} — {FIX}")
    lacking = [k for k, kind in MANIFEST_PARTS.items() if not isinstance(manifest.get(k), kind)]
    if lacking:
        raise IndexCorrupt(f"index manifest in {index_dir} lacks {', '.join(lacking)} — {FIX}")
    folders = [part.get("folder") if isinstance(part, dict) else None for part in part_entries(manifest)]
    if not folders or folders != [BASE, RECENT][:len(folders)]:
        raise IndexCorrupt(f"index manifest in {index_dir} names parts {folders} — {FIX}")
    return manifest


def part_entries(manifest: dict) -> list:
    """The manifest's parts — folder, articles and chunks its files hold, and those of them hidden ("hidden":
    sources, "hidden_chunks") each; a build of schema 3 is one part, its counts."""
    return manifest.get("parts") or [{"folder": BASE, **{k: manifest["counts"].get(k) for k in ("articles", "chunks")}}]


def part_files(manifest: dict, folder: str) -> list[str]:
    """The names of one part's data files within its folder (the manifest names a recent part's "recent/…")."""
    if folder == BASE:
        return sorted(name for name in manifest["files"] if "/" not in name)
    return sorted(name.split("/", 1)[1] for name in manifest["files"] if name.startswith(folder + "/"))


def in_part(folder: str, name: str) -> str:
    """A part's file, as the manifest names it (relative to the build)."""
    return name if folder == BASE else f"{folder}/{name}"


def check_files(index_dir: Path, path: Path, manifest: dict) -> None:
    """Every data file of the build is there and is what the manifest recorded (by stat, else by checksum)."""
    files = manifest["files"]
    required = {in_part(part["folder"], name) for part in part_entries(manifest) for name in REQUIRED}
    for name in sorted(required | set(files)):
        record = files.get(name)
        if not isinstance(record, dict):
            raise IndexCorrupt(f"index manifest in {index_dir} does not record {name} — {FIX}")
        try:
            stat = os.stat(path / name)
            algorithm = CHECKSUM if CHECKSUM in record else "sha256"
            intact = ((stat.st_size, stat.st_mtime_ns) == (record.get("size"), record.get("mtime_ns"))
                      or (stat.st_size == record.get("size")
                          and file_checksum(path / name, algorithm) == record.get(algorithm)))
        except OSError as err:
            raise IndexCorrupt(f"index in {index_dir} lacks {name} ({err.strerror}) — {FIX}") from err
        if not intact:
            raise IndexCorrupt(f"index in {index_dir} is damaged ({name} does not match its checksum) — {FIX}")


def verify(index_dir: Path) -> bool:
    """Is the published build whole: manifest, files as recorded (by stat), counts as the arrays' headers say?

    Reads the manifest, file stats and `.npy` headers only: what an update with
    nothing to do can afford before saying so.
    """
    index_dir = Path(index_dir)
    build = index_dir.resolve()
    try:
        manifest = read_manifest(index_dir, build)
        check_files(index_dir, build, manifest)
        whole = True
        for part in part_entries(manifest):
            folder = build / part["folder"]
            shapes = [np.load(folder / name, mmap_mode="r", allow_pickle=False).shape
                      for name in (OFFSETS, "bm25.doc_len.npy", vectors.ROWS)]
            with open(folder / ARTICLES, "rb") as handle:
                articles = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            whole = whole and (shapes[0][0] - 1 == shapes[1][0] == shapes[2][0] == part["chunks"]
                               and articles == part["articles"]
                               and shapes[2][1] == manifest["model"].get("dim", shapes[2][1]))
        entries = part_entries(manifest)
        chunks = sum(p["chunks"] - p.get("hidden_chunks", 0) for p in entries)
        articles = sum(p["articles"] - len(p.get("hidden", ())) for p in entries)
    except (IndexProblem, OSError, ValueError, KeyError, TypeError):
        return False
    return whole and chunks == manifest["counts"].get("chunks") and articles == manifest["counts"].get("articles")


def load(index_dir: Path, check_rules: bool = True) -> StoredIndex:
    """The published index, read lazily from one build and cross-checked; a clear error if anything is off.

    `check_rules`: refuse an index built by other chunking/tokenizing rules than this code's (IndexStale).
    """
    index_dir = Path(index_dir)
    for attempt in range(3):
        build = index_dir.resolve()  # pin one build: a concurrent publish cannot mix files
        try:
            stored = _load_build(index_dir, build)
            if check_rules:
                from index.pipeline import pipeline_version

                built_by, now = stored.manifest.get("pipeline_version"), pipeline_version()
                if built_by != now:
                    raise IndexStale(f"index in {index_dir} was built by older rules ({built_by}; now {now}) — "
                                     "run 'gzqa index update'")
            return stored
        except IndexProblem:
            if attempt == 2 or index_dir.resolve() == build:
                raise
            # the link moved while reading (and an old build may be gone): read the new one


def bm25_params(manifest: dict) -> bm25.BM25Params:
    """The BM25 parameters a build was made with (its manifest's settings)."""
    return bm25.BM25Params(**(manifest.get("settings") or {}).get("bm25", {}))


def _load_build(index_dir: Path, path: Path) -> StoredIndex:
    manifest = read_manifest(index_dir, path)
    check_files(index_dir, path, manifest)
    try:
        parts = [Part.read(path / entry["folder"], bm25_params(manifest), entry.get("hidden", ()))
                 for entry in part_entries(manifest)]
        articles = Articles(parts)
        chunks = Chunks([part.chunks for part in parts])
        postings = bm25.Joined([part.bm25 for part in parts], articles.hidden_rows)
        vecs = vectors.Joined([part.vectors for part in parts], articles.hidden_rows)
        whole = all(len(part.chunks) == entry["chunks"] == part.bm25.corpus_size == part.vectors.ntotal
                    and len(part.records) == entry["articles"]
                    for part, entry in zip(parts, part_entries(manifest)))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexCorrupt(f"index in {index_dir} is damaged ({err.__class__.__name__}: {str(err)[:80]}) — {FIX}") from err
    counts = manifest["counts"]
    if not (whole and len(chunks) == postings.rows == vecs.ntotal
            and len(chunks) - len(articles.hidden_rows) == counts.get("chunks") == postings.corpus_size
            and len(articles) == counts.get("articles")
            and len({part.vectors.d for part in parts}) == 1 and vecs.d == manifest["model"].get("dim", vecs.d)):
        raise IndexCorrupt(f"index in {index_dir} is inconsistent (chunk, BM25 and vector counts differ) — {FIX}")
    return StoredIndex(path, manifest, tuple(parts), articles, chunks, postings, vecs)


def load_facts(path: Path) -> list[Fact]:
    """facts.jsonl → its facts, in order."""
    return [Fact.from_json(f) for f in read_jsonl(path)]
