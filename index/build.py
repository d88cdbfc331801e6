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
simply not carried over. Updates hold the lock of `index.publish` from start to
publish, so two never interleave.

What is written: while the articles added or changed since the published
build's base part was written, and the base's articles gone since, hold at most
`RECENT_MAX_SHARE` of the base's chunks, the base's files are linked into the
new build (hard links: the same bytes, nothing copied), its gone articles are
listed as hidden in the manifest (never found again), and only a recent part is
written, of the added and changed articles (`index.store`). Otherwise the build
is written as one part, in seed order, without them. Either way it answers as a
fresh build of the same seeds does: the BM25 statistics are those of the chunks
that remain, and every part is searched; only rows of equal score may come in
another order, ties breaking by row.
A build whose ANN index is not the kind this code searches (an HNSW graph of
earlier code, or none where one is due) is not up to date: the update
writes it again, every article carried over, and builds the IVF index.
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from index import DEFAULT_MODEL, backend, bm25, checkpoint, embed, prepare, publish, segments, store, tokenize, vectors
from index.batcher import EMBED_BATCH, Embedder  # noqa: F401 - EMBED_BATCH: the batch size callers report in
from index.chunk import ChunkSizes, indexed_text
from index.load import file_hash, is_text_seed, read_seeds, seed_name
from index.pipeline import pipeline_version
from index.prepare import vector_key
from index.records import Rejected
from index.segments import Segment
from index.status import seed_changes


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
    worker_cpu: float = 0.0  # CPU seconds of the processes that prepared articles (0: prepared in this one)


@dataclass(frozen=True)
class BuildSettings:
    """Build-time settings, written into the manifest so query time cannot disagree."""

    sizes: ChunkSizes = field(default_factory=ChunkSizes)
    bm25: bm25.BM25Params = field(default_factory=bm25.BM25Params)


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


# A seed whose mtime lies this close to (or after) the moment its stat was recorded may have been written
# again within the same timestamp tick, unseen: it is read, not trusted by its stat (git's "racily clean"
# rule). 2 s is FAT's mtime granularity, the coarsest in common use; ext4's is a clock tick.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class SeedScan:
    """The seeds folder as an update first sees it, from one directory read and a stat a file."""

    hashes: dict[str, str]  # file name → sha256 of its bytes (or the identity of a file to refuse)
    stats: dict[str, list[int]]  # file name → [size, mtime ns]
    trusted: frozenset[str]  # names whose hash is the manifest's, unread: same size and mtime, not racy
    taken_ns: int  # when the stats were taken (the next update's racy test)


def seed_fingerprint(seeds_dir: Path, manifest: dict) -> SeedScan:
    """The seeds' hashes and stats, as `index.load.fingerprint` gives the hashes.

    A file whose size and mtime are those the manifest recorded, and whose mtime
    was already `RACY_NS` old when they were recorded, keeps its recorded hash
    without being read: the one place that decides a seed is unchanged (an edit
    that restores both, `touch -r`, is not seen; `gzqa index build --force` reads
    all). A symbolic link is never followed: its own identity stands in for a hash.
    """
    known, known_stats = manifest.get("seeds", {}), manifest.get("seed_stats", {})
    settled = manifest.get("seed_stats_taken_ns", 0) - RACY_NS
    taken = time.time_ns()
    hashes: dict[str, str] = {}
    stats: dict[str, list[int]] = {}
    trusted: set[str] = set()
    with os.scandir(seeds_dir) as entries:  # one directory read; `seed_paths`'s selection, by name
        found = sorted((e for e in entries if not e.name.startswith(".") and (e.is_symlink() or e.is_file())),
                       key=lambda e: e.name)
    for entry in found:
        path = Path(entry.path)
        name = seed_name(path)
        try:
            if entry.is_symlink():
                info = entry.stat(follow_symlinks=False)
                stats[name] = [info.st_size, info.st_mtime_ns]
                hashes[name] = f"not-regular:{info.st_mode:o}:{info.st_size}:{info.st_mtime_ns}"
                continue
            stat = entry.stat()
            stats[name] = [stat.st_size, stat.st_mtime_ns]
            if not is_text_seed(path):
                hashes[name] = f"not-txt:{stat.st_size}:{stat.st_mtime_ns}"
            elif known_stats.get(name) == stats[name] and name in known and stat.st_mtime_ns < settled:
                hashes[name] = known[name]
                trusted.add(name)
            else:
                hashes[name] = file_hash(path)
        except FileNotFoundError:
            stats.pop(name, None)
        except OSError as err:
            hashes[name] = f"unreadable:{err.errno}"
    return SeedScan(hashes, stats, frozenset(trusted), taken)


def _published(index_dir: Path) -> store.StoredIndex | None:
    try:
        return store.load(index_dir, check_rules=False)  # an index of older rules still lends its vectors
    except store.IndexProblem:
        return None


def update(seeds_dir: Path, index_dir: Path, model: str | None = None, force: bool = False,
           settings: BuildSettings = BuildSettings(),
           progress: Callable[[str], None] = lambda message: None, show_bar: bool = False,
           wait: bool = True, on_embedded: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring the index at `index_dir` up to date with `seeds_dir`; `force` rebuilds everything from the seeds.

    `model` defaults to the one the published index was built with. A published
    index that does not load (damaged, other schema) is rebuilt, not reported up to date.
    While another update runs, this one waits for it, or with `wait=False` raises `publish.IndexBusy`.
    `on_embedded(done, total)` is called after each embedding batch (`EMBED_BATCH` passages);
    `show_bar` draws a progress bar with rate and ETA on stderr. From 40 new articles on, articles are
    prepared in worker processes started by a forkserver, which imports the calling script again: a script
    that calls this must do so under `if __name__ == "__main__":` (as any multiprocessing caller must).
    """
    started = time.monotonic()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"no seeds directory at {seeds_dir} — create it and put .txt articles in it")
    with publish.update_lock(index_dir, wait=wait,
                             on_wait=lambda: progress(f"waiting for another update of {index_dir} to finish")), \
            _cyclic_gc_paused():
        publish.check_link(index_dir)
        publish.collect_garbage(index_dir)
        publish.pause("locked")
        try:
            old_manifest = store.read_manifest(index_dir)
        except store.IndexProblem:
            old_manifest = {}
        model = model or previous_model(old_manifest) or DEFAULT_MODEL
        identity = embed.model_identity(model)
        scan = seed_fingerprint(seeds_dir, old_manifest)
        seeds, seed_stats = scan.hashes, scan.stats
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
        if same_build and not (added or changed or removed) and _ann_current(index_dir.resolve(), old_manifest):
            counts = old_manifest["counts"]
            return BuildReport(index_dir.resolve(), counts["articles"], counts["chunks"], 0, 0, (), (), (),
                               tuple(Rejected(**r) for r in old_manifest.get("rejected", [])),
                               time.monotonic() - started, up_to_date=True)

        old = _published(index_dir) if intact else None
        same_model = old is not None and old.model.get("fingerprint") == identity["fingerprint"]
        carry = same_build and same_model  # whole articles carried over: same rules, settings and model
        known = _unchanged(old, scan) if carry else {}
        progress(f"reading {len(seeds) - len(known)} of {len(seeds)} seed files (the rest are unchanged)")
        texts, rejected = read_seeds(seeds_dir, known)
        indexed = {t.source for t in texts}
        added = tuple(name for name in added if name in indexed)  # a refused file is reported as refused only
        changed = tuple(name for name in changed if name in indexed or name in was_refused)
        if not texts:
            refused = "; ".join(f"{r.source}: {r.reason}" for r in rejected[:3])
            raise NoArticles(f"no article to index in {seeds_dir}" + (f" ({refused})" if refused else "")
                             + " — add UTF-8 .txt articles, then run the command again")

        before = old_manifest.get("model") or {}
        if before.get("fingerprint") not in (None, identity["fingerprint"]):
            progress(f"the model changed ({before.get('name')} → {identity['name']}): every chunk is embedded anew")
        vocab = prepare.Vocabulary(old.bm25.vocab if carry else [])
        old_rows = _article_rows(old) if carry else {}
        parts, fresh = [], []
        for t in texts:
            record = old.articles.records.get(t.source) if carry else None
            if record is not None and record["sha256"] == t.sha256:  # carried over; its text, when not read now,
                part, rows = old_rows[t.source]  # is copied
                parts.append(Segment(record, t.text.encode("utf-8") if t.text is not None else b"", rows=rows,
                                     part=part))
            else:
                fresh.append(len(parts))
                parts.append(Segment({}, t.text.encode("utf-8")))
        progress(f"{len(texts)} articles: {len(texts) - len(fresh)} carried over, {len(fresh)} to chunk and tokenize")
        prepared: list[prepare.Prepared] = []
        with prepare.workers(len(fresh)) as pool:
            jobs = (prepare.Job(texts[n].source, texts[n].text, texts[n].sha256, settings.sizes, identity["fingerprint"])
                    for n in fresh)
            for n, made in zip(fresh, pool.imap(prepare.article, jobs, chunksize=prepare.WORKER_BATCH)):
                part = parts[n]
                part.record, part.lines, part.keys, part.facts = made.record, made.lines, made.keys, made.facts
                part.term_ids, part.term_tf = vocab.ids_of(made.terms)[made.term_ids], made.term_tf
                part.per_chunk, part.lengths = made.per_chunk, made.lengths
                prepared.append(made)
            worker_cpu = pool.cpu_seconds() or 0.0
        reusable = _reusable_vectors(old, identity["fingerprint"], {t.source for t in texts},
                                     {texts[n].source for n in fresh}) if same_model else {}
        saved = checkpoint.Checkpoint(index_dir, identity["fingerprint"])
        todo: dict[str, str] = {}
        for made in prepared:
            for key, text in zip(made.keys, made.texts):
                if key not in reusable and key not in saved.rows:
                    todo.setdefault(key, text)
        chunk_total = sum(p.record["chunks"] for p in parts)
        progress(f"embedding {len(todo)} new chunks (reusing {chunk_total - len(todo)})")
        embedder = Embedder(todo, saved, model, show_bar, on_embedded)
        for made in prepared:  # in build order, each chunk with the counts an encoder that tokenizes may reuse
            ptr = np.concatenate([[0], np.cumsum(made.per_chunk)])
            for i, key in enumerate(made.keys):
                if embedder.wants(key):
                    embedder.offer(key, made.texts[i], made.counts(i, ptr))
        embedded = embedder.finish()
        del prepared

        progress("writing index")
        tmp = publish.new_build_dir(index_dir)
        dim = old.vectors.d if carry else _dim(saved, reusable, model)
        made = {**reusable, **saved.rows}
        recent = _recent(old, parts, may_hide=not to_milvus) if carry else None  # Milvus holds every row it is given
        linked = _link_base(old, tmp) if recent is not None else []
        if linked:
            base = old.parts[0]
            entries = [{"folder": store.BASE, "articles": len(base.records), "chunks": len(base.chunks),
                        **({"hidden": sorted(recent.hidden), "hidden_chunks": sum(recent.hidden.values())}
                           if recent.hidden else {})}]
            if recent.segments:
                counts = segments.write(tmp / store.RECENT, recent.segments, old.parts, vocab.terms, made, dim,
                                        settings.bm25)
                entries.append({"folder": store.RECENT, **counts})
            counts = {"articles": sum(e["articles"] - len(e.get("hidden", ())) for e in entries),
                      "chunks": sum(e["chunks"] - e.get("hidden_chunks", 0) for e in entries)}
            progress(f"kept the base part ({len(base.records) - len(recent.hidden)} articles linked, "
                     f"{len(recent.hidden)} hidden), wrote {len(recent.segments)} in the recent part")
        else:
            counts = segments.write(tmp, parts, old.parts if carry else (), vocab.terms, made, dim, settings.bm25)
            entries = [{"folder": store.BASE, **counts}]
        manifest = {
            "schema_version": store.SCHEMA_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {**identity, "dim": dim},
            "tokenizer": _tokenizer(),
            "pipeline_version": pipeline_version(),
            "settings": _settings_json(settings),
            "seeds": seeds,
            "seed_stats": seed_stats,
            "seed_stats_taken_ns": scan.taken_ns,
            "rejected": [{"source": r.source, "reason": r.reason} for r in rejected],
            "counts": {**counts, "embedded": embedded, "reused": counts["chunks"] - embedded},
            "parts": entries,
            "files": {**{name: old_manifest["files"][name] for name in linked},  # the same files: their records
                      **{p.relative_to(tmp).as_posix(): store.file_record(p) for p in sorted(tmp.rglob("*"))
                         if p.is_file() and p.relative_to(tmp).as_posix() not in linked}},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if to_milvus:  # the collection is complete and aliased before the build naming it is published
            from index import milvus_sync

            built = store._load_build(tmp, tmp)
            milvus_sync.sync(tmp, old_manifest, built.articles, built.chunks,
                             [built.terms(row) for row in range(len(built.chunks))], built.vectors.rows, identity,
                             progress)
        publish.pause("written")
        final = publish.publish(tmp, index_dir, durable=linked)
        publish.pause("published")
        checkpoint.clear(index_dir)
        publish.collect_garbage(index_dir)
    return BuildReport(final, counts["articles"], counts["chunks"], embedded, counts["chunks"] - embedded,
                       added, changed, removed, tuple(rejected), time.monotonic() - started, worker_cpu=worker_cpu)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Python's cycle collector off while a build runs (reference counting still frees everything).

    A build holds millions of small acyclic objects (chunk lines, keys, texts),
    and every full collection walks them all again: ≈ 2.7 of the parent's 17
    CPU-seconds at 100k chunks (measured 2026-11-30). Nothing here makes cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _unchanged(old: store.StoredIndex, scan: SeedScan) -> dict[str, tuple[str, list[int]]]:
    """The published build's articles whose seed file is unchanged (`seed_fingerprint`) and whose text the build
    holds intact, for `read_seeds`: source → (text sha256, [size, mtime ns]), files an update need not read.

    A carried text is checked against its sha256 (≈ 40 ms for 3,000 articles): a damaged texts file whose
    stat was restored is mended from the seed, not copied on under a new checksum.
    """
    return {source: (record["sha256"], scan.stats[source]) for source, record in old.articles.records.items()
            if source in scan.trusted and old.articles.holds_text(source)}


def _article_rows(old: store.StoredIndex) -> dict[str, tuple[int, range]]:
    """Source → (its part, its chunk rows in that part) in the published build (articles.jsonl is in row order)."""
    out = {}
    for n, part in enumerate(old.parts):
        start = 0
        for record in part.records:
            out[record["source"]] = (n, range(start, start + record["chunks"]))
            start += record["chunks"]
    return out


# An update writes a recent part only (the base's files linked, not copied) while the articles added or changed
# since the base was written, and the base's articles gone since (hidden: still in its files, never found), hold
# at most this share of the base's chunks. The recent part is written whole on every update, so its share bounds
# what adding one article costs against writing everything (a tenth); the base is written again once per that much
# change, so each chunk is copied about 1 / share times over the corpus's life, and hidden rows stay below a tenth.
RECENT_MAX_SHARE = 0.1


@dataclass(frozen=True)
class Recent:
    """A build written as the published base, linked, beside a recent part (`_recent`)."""

    segments: list[Segment]  # the recent part's articles: new, changed, or carried over from the recent part
    hidden: dict[str, int]  # the base's articles that are gone (removed, or changed: in the recent part now) → chunks


def _recent(old: store.StoredIndex, parts: list[Segment], may_hide: bool) -> Recent | None:
    """What a recent part beside the published base, kept as it is, would hold; None when the base cannot be kept
    (a text of it damaged, its ANN index out of date, an article of it gone when `may_hide` is false) or the recent
    part and the base's hidden articles would outgrow their share of the base."""
    base = old.parts[0]
    kept = [s for s in parts if s.rows is not None and s.part == 0]
    if any(s.text and not old.articles.holds_text(s.record["source"]) for s in kept):
        return None
    held = {s.record["source"] for s in kept}
    hidden = {r["source"]: int(r["chunks"]) for r in base.records
              if r["source"] in base.hidden or r["source"] not in held}
    recent = [s for s in parts if not (s.rows is not None and s.part == 0)]
    if hidden and not may_hide:
        return None
    if sum(s.record["chunks"] for s in recent) + sum(hidden.values()) > RECENT_MAX_SHARE * len(base.chunks):
        return None
    if not vectors.ann_current(base.folder, store.part_files(old.manifest, store.BASE), len(base.chunks)):
        return None
    return Recent(recent, hidden)


def _link_base(old: store.StoredIndex, tmp: Path) -> list[str]:
    """Hard-link the published base part's files into the new build `tmp`: their names; none (nothing left
    linked) when the file system refuses, and the build is written whole instead."""
    names = store.part_files(old.manifest, store.BASE)
    try:
        for name in names:
            os.link(old.parts[0].folder / name, tmp / name)
    except OSError:
        for name in names:
            (tmp / name).unlink(missing_ok=True)
        return []
    return names


def _ann_current(build: Path, manifest: dict) -> bool:
    """Has every part of the build the ANN index this code searches (`vectors.ann_current`)?"""
    return all(vectors.ann_current(build / entry["folder"], store.part_files(manifest, entry["folder"]),
                                   entry.get("chunks") or 0) for entry in store.part_entries(manifest))


def _reusable_vectors(old: store.StoredIndex | None, fingerprint_: str, kept: set[str],
                      remade: set[str]) -> dict[str, np.ndarray]:
    """Vectors of the published build's chunks that are not carried over whole, by key (same model only).

    Those are the chunks of changed, renamed and removed articles; when nothing
    is carried over (other rules or settings), every chunk of the build.
    """
    if old is None:
        return {}
    carried = kept - remade if old.manifest.get("pipeline_version") == pipeline_version() else set()
    out = {}
    for source in old.articles.records:
        if source in carried:
            continue
        for row in old.articles.rows_of([source]).tolist():
            out[vector_key(fingerprint_, indexed_text(old.chunks[row]))] = np.array(old.vectors.rows[row])
    return out


def _dim(saved: checkpoint.Checkpoint, reusable: dict[str, np.ndarray], model: str) -> int:
    """The width of the vectors this build will hold (1 when it holds none)."""
    for row in list(saved.rows.values())[:1] + list(reusable.values())[:1]:
        return len(row)
    return 1


def _settings_json(settings: BuildSettings) -> dict:
    """Build settings → the manifest's "settings" entry (compared on update to decide "same build")."""
    return {"chunk_sizes": asdict(settings.sizes), "bm25": asdict(settings.bm25)}


def _tokenizer() -> dict:
    import jieba

    return {"name": "jieba", "version": jieba.__version__, "mode": "cut_for_search",
            "dictionary": f"jieba dict.txt, frequency >= {tokenize.MIN_FREQ}, + project words"}


