"""seeds/ → a published index; incremental in the only step that costs: embedding.

Every update re-reads, cleans, chunks and tokenizes all seeds (milliseconds per
article) and refits BM25, so an update is by construction the same index a fresh
build gives. Vectors are reused for chunks whose indexed text and model are
unchanged (keyed by a sha1 of both); only new text is embedded. An update with
the seeds, model, settings and pipeline version (`pipeline.pipeline_version`) of
the published index has nothing to do. Updates hold the lock of `index.publish`
from start to publish, so two never interleave.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index import DEFAULT_MODEL, bm25, embed, publish, store, tokenize, vectors
from index.chunk import ChunkSizes, chunk_article, indexed_text
from index.facts import write_facts
from index.load import fingerprint, read_seeds
from index.meta import describe
from index.records import Article, Chunk, Rejected
from index.pipeline import pipeline_version
from index.status import seed_changes
from index.tokenize import tokens


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


def previous_vectors(old: store.StoredIndex | None, fingerprint_: str) -> dict[str, np.ndarray]:
    """The published build's vectors by key, when they were made by the same model; else none."""
    if old is None or old.model.get("fingerprint") != fingerprint_:
        return {}
    keys = [vector_key(fingerprint_, indexed_text(c)) for c in old.chunks]
    return dict(zip(keys, vectors.rows(old.vectors)))


def previous_model(manifest: dict) -> str | None:
    """The model a manifest was built with, as `update(model=...)` takes it (a fake model has a name, no path)."""
    model = manifest.get("model", {})
    return model.get("path") or model.get("name")


class NoArticles(ValueError):
    """The seeds folder holds no article that can be indexed; the previous index, if any, keeps serving."""


def _published(index_dir: Path) -> store.StoredIndex | None:
    try:
        return store.load(index_dir, check_rules=False)  # an index of older rules still lends its vectors
    except store.IndexProblem:
        return None


def update(seeds_dir: Path, index_dir: Path, model: str | None = None, force: bool = False,
           settings: BuildSettings = BuildSettings(),
           progress: Callable[[str], None] = lambda message: None, show_bar: bool = False,
           wait: bool = True, on_embedded: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring the index at `index_dir` up to date with `seeds_dir`; `force` re-embeds everything.

    `model` defaults to the one the published index was built with. A published
    index that does not load (damaged, other schema) is rebuilt, not reported up to date.
    While another update runs, this one waits for it, or with `wait=False` raises `publish.IndexBusy`.
    `on_embedded(done, total)` is called after each batch of `EMBED_BATCH` passages embedded.
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
        seeds = fingerprint(seeds_dir)
        diff = seed_changes(old_manifest.get("seeds", {}), seeds)
        added, changed, removed = (tuple(diff[k]) for k in ("added", "changed", "removed"))
        was_refused = {r["source"] for r in old_manifest.get("rejected", [])}
        removed = tuple(name for name in removed if name not in was_refused)  # never indexed, so not removed
        old = None if force else _published(index_dir)
        same_build = (old is not None
                      and old.model.get("fingerprint") == identity["fingerprint"]
                      and old.manifest.get("pipeline_version") == pipeline_version()
                      and old.manifest.get("settings") == _settings_json(settings))
        if same_build and not (added or changed or removed):
            return BuildReport(old.path, len(old.articles), len(old.chunks), 0, 0, (), (), (),
                               tuple(Rejected(**r) for r in old.manifest.get("rejected", [])),
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
        articles = [describe(t.source, t.text, t.sha256) for t in texts]
        chunks = [c for a in articles for c in chunk_article(a.source, a.text, settings.sizes)]
        progress(f"{len(articles)} articles → {len(chunks)} chunks; tokenizing")
        corpus = [tokens(indexed_text(c)) for c in chunks]

        before = (old_manifest.get("model") or {})
        if before.get("fingerprint") not in (None, identity["fingerprint"]):
            progress(f"the model changed ({before.get('name')} → {identity['name']}): every chunk is embedded anew")
        reusable = previous_vectors(old, identity["fingerprint"])
        keys = [vector_key(identity["fingerprint"], indexed_text(c)) for c in chunks]
        new = sum(key not in reusable for key in keys)
        progress(f"embedding {new} new chunks (reusing {len(chunks) - new})")
        rows, embedded = embedding_rows(chunks, reusable, keys, model, show_bar, on_embedded)

        progress("writing index")
        tmp = publish.new_build_dir(index_dir)
        write_facts(tmp / store.FACTS, articles, previous=old)  # facts of unchanged articles are reused
        _write(tmp, articles, chunks, corpus, rows, rejected, seeds, {**identity, "dim": rows.shape[1]}, settings,
               embedded=embedded)
        publish.pause("written")
        final = publish.publish(tmp, index_dir)
        publish.pause("published")
        publish.collect_garbage(index_dir)
    return BuildReport(final, len(articles), len(chunks), embedded, len(chunks) - embedded,
                       added, changed, removed, tuple(rejected), time.monotonic() - started)


EMBED_BATCH = 64  # passages per `on_embedded` call: progress every few seconds, no measurable cost


def embedding_rows(chunks: list[Chunk], reusable: dict[str, np.ndarray], keys: list[str], model: str,
                   show_bar: bool = False,
                   on_embedded: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Chunks and their `keys` → (one vector row per chunk, how many of them `model` embedded afresh).

    A row whose key is in `reusable` is copied from there; the model is loaded
    only when something is left to embed. With nothing to embed or copy (no chunks, no
    previous vectors) the rows are 1 wide.
    """
    todo = [i for i, key in enumerate(keys) if key not in reusable]
    encoder = embed.passage_encoder(model, show_progress=show_bar) if todo else None
    dim = encoder.dim if encoder else (len(next(iter(reusable.values()))) if reusable else 1)
    rows = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in reusable:
            rows[i] = reusable[key]
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start:start + EMBED_BATCH]
        rows[batch] = encoder.passages([indexed_text(chunks[i]) for i in batch])
        if on_embedded:
            on_embedded(start + len(batch), len(todo))
    return rows, len(todo)


def _settings_json(settings: BuildSettings) -> dict:
    """Build settings → the manifest's "settings" entry (compared on update to decide "same build")."""
    return {"chunk_sizes": asdict(settings.sizes), "bm25": asdict(settings.bm25)}


def _write(path: Path, articles: list[Article], chunks: list[Chunk], corpus: list[list[str]], rows: np.ndarray,
           rejected: list[Rejected], seeds: dict[str, str], model: dict, settings: BuildSettings,
           embedded: int) -> None:
    import jieba

    per_article = {a.source: 0 for a in articles}
    for c in chunks:
        per_article[c.source] += 1
    store.write_jsonl(path / "articles.jsonl",
                      [{**a.metadata(), "chunks": per_article[a.source], "text": a.text} for a in articles])
    store.write_jsonl(path / "chunks.jsonl", [c.to_json() for c in chunks])
    bm25.save(bm25.fit(corpus, settings.bm25), path / "bm25.json")
    vectors.save(rows, path / "vectors.faiss")
    manifest = {
        "schema_version": store.SCHEMA_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model,
        "tokenizer": {"name": "jieba", "version": jieba.__version__, "mode": "cut_for_search",
                      "dictionary": f"jieba dict.txt, frequency >= {tokenize.MIN_FREQ}, + project words"},
        "pipeline_version": pipeline_version(),
        "settings": _settings_json(settings),
        "seeds": seeds,
        "rejected": [{"source": r.source, "reason": r.reason} for r in rejected],
        "counts": {"articles": len(articles), "chunks": len(chunks), "embedded": embedded,
                   "reused": len(chunks) - embedded},
        "files": {name: store.file_sha256(path / name) for name in store.DATA_FILES},
    }
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
