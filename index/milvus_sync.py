"""Writing a build into Milvus: blue/green collections under an alias, rows upserted by chunk id and content hash.

Updates (`sync`) are blue/green: two collections `<base>_v<schema>_a|b`, an alias
`<base>` naming the live one. An update upserts and deletes, keyed by chunk id and
content hash, in the collection the published build does NOT name, checks its
row count, moves the alias, and the build naming it is then published: a reader
pins one build and reads the collection it names, complete, never half an update.
Schema: see `_create` (SCHEMA_VERSION is part of the collection names). Reading is `index.milvus`.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from index import publish, store
from index.chunk import indexed_text
from index.milvus import (BM25_B, BM25_K1, SCHEMA_VERSION, TEXT_MAX, WORD_HEX, base, client, count, fix,
                          same_uri, uri, word)
from index.records import Article, Chunk

BATCH = 256  # rows per upsert: a few MB of vectors and text per request


def collection_names(alias: str) -> tuple[str, str]:
    """An alias → its two collections, blue and green, of this schema."""
    return f"{alias}_v{SCHEMA_VERSION}_a", f"{alias}_v{SCHEMA_VERSION}_b"


def _create(conn, name: str, dim: int) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = conn.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("hash", DataType.VARCHAR, max_length=40)
    schema.add_field("article", DataType.VARCHAR, max_length=512)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("tokens", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("words", DataType.VARCHAR, max_length=TEXT_MAX, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("year", DataType.INT64)  # 0: not inferred
    schema.add_field("place", DataType.VARCHAR, max_length=64)
    schema.add_field("section", DataType.VARCHAR, max_length=TEXT_MAX)
    schema.add_field("line_start", DataType.INT64)
    schema.add_field("line_end", DataType.INT64)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["words"], output_field_names=["sparse"]))
    params = conn.prepare_index_params()
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": BM25_K1, "bm25_b": BM25_B})
    params.add_index("vector", index_type="FLAT", metric_type="IP")
    conn.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")  # count after write


def _dim(conn, name: str) -> int | None:
    for f in conn.describe_collection(name)["fields"]:
        if f["name"] == "vector":
            return int(f["params"]["dim"])
    return None


Tokens = Sequence[str] | Mapping[str, int]  # a chunk's tokens in order, or as {term: count}


def token_list(terms: Tokens) -> list[str]:
    """A chunk's tokens; {term: count} gives each term `count` times (BM25 reads counts, not order)."""
    if isinstance(terms, Mapping):
        return [t for t, n in terms.items() for _ in range(int(n))]
    return list(terms)


def records(articles: Sequence[Article] | Mapping[str, Article], chunks: Sequence[Chunk], corpus: Sequence[Tokens],
            fingerprint: str) -> list[dict]:
    """Chunks and their tokens → Milvus rows without vectors, each with the sha1 of its content and model."""
    by_source = articles if isinstance(articles, Mapping) else {a.source: a for a in articles}
    out = []
    for chunk, terms in zip(chunks, corpus):
        article, terms = by_source[chunk.source], token_list(terms)
        row = {"id": chunk.id, "article": chunk.source, "text": chunk.text, "tokens": " ".join(terms),
               "words": " ".join(word(t) for t in terms), "year": article.year_number or 0,
               "place": article.city.value if article.city else "", "section": " › ".join(chunk.section),
               "line_start": chunk.line_start, "line_end": chunk.line_end}
        content = json.dumps([row, indexed_text(chunk), fingerprint], ensure_ascii=False, sort_keys=True)
        row["hash"] = hashlib.sha1(content.encode("utf-8")).hexdigest()
        out.append(row)
    return out


def held(conn, name: str) -> dict[str, str]:
    """{chunk id: content hash} of every row in collection `name`."""
    found: dict[str, str] = {}
    rows = conn.query_iterator(name, batch_size=2048, filter="", output_fields=["id", "hash"])
    try:
        while batch := rows.next():
            found.update((r["id"], r["hash"]) for r in batch)
    finally:
        rows.close()
    return found


def aliased(conn, alias: str) -> str | None:
    """The collection `alias` names now (None: no such alias yet)."""
    if alias not in conn.list_aliases().get("aliases", []):
        return None
    return conn.describe_alias(alias)["collection_name"]


def sync(build_dir: Path, published: dict, articles: Sequence[Article] | Mapping[str, Article],
         chunks: Sequence[Chunk], corpus: Sequence[Tokens], vectors: np.ndarray, model: dict,
         progress=lambda message: None, address: str | None = None) -> dict:
    """Write a build's chunks to Milvus and name the collection in its manifest; returns that "milvus" entry.

    `published` is the manifest of the build now serving: its collection is left
    alone; the other one is brought to this build's rows (deletes and upserts of
    what differs by id and content hash, so an update after a crash finishes what
    it left), checked, and the alias moved to it. Call before publishing `build_dir`.
    """
    address = address or uri()
    conn, alias, dim = client(address), base(), int(vectors.shape[1])
    target = _target(conn, alias, published, address, dim, progress)
    rows = records(articles, chunks, corpus, model["fingerprint"])
    have = held(conn, target)
    wanted = {r["id"] for r in rows}
    gone = [i for i in have if i not in wanted]
    todo = [n for n, r in enumerate(rows) if have.get(r["id"]) != r["hash"]]
    progress(f"Milvus {target}: upserting {len(todo)} chunks, deleting {len(gone)}, keeping {len(rows) - len(todo)}")
    if gone:
        conn.delete(target, ids=gone)
    for start in range(0, len(todo), BATCH):
        conn.upsert(target, [{**rows[n], "vector": vectors[n].tolist()} for n in todo[start:start + BATCH]])
        if start == 0:
            publish.pause("milvus-half")
    conn.flush(target)
    held_now = count(conn, target)
    if held_now != len(rows):
        raise store.IndexCorrupt(f"Milvus collection {target} holds {held_now} chunks after the update, "
                                 f"not {len(rows)} — {fix()}")
    publish.pause("milvus-written")
    if aliased(conn, alias) is not None:
        conn.alter_alias(target, alias)
    else:
        conn.create_alias(target, alias)
    entry = {"uri": address, "alias": alias, "collection": target, "schema_version": SCHEMA_VERSION,
             "chunks": len(rows), "dim": dim, "upserted": len(todo), "deleted": len(gone),
             "bm25": {"k1": BM25_K1, "b": BM25_B, "tokens": f"index.tokenize.tokens as sha1 words (t + {WORD_HEX} hex)"}}
    _record(Path(build_dir), entry)
    return entry


def _target(conn, alias: str, published: dict, address: str, dim: int, progress) -> str:
    """The collection to write: the one the published build does not name, made if needed, never aliased."""
    names = collection_names(alias)
    live_entry = published.get("milvus") or {}
    live = live_entry.get("collection") if same_uri(live_entry.get("uri", ""), address) else None
    target = names[1] if live == names[0] else names[0]
    if aliased(conn, alias) == target:
        # the alias names what is about to change (a crash after moving it, before publishing): point it back first
        if live and conn.has_collection(live):
            conn.alter_alias(live, alias)
        else:
            conn.drop_alias(alias)
    for stale in conn.list_collections():  # older schemas' collections
        if re.fullmatch(f"{alias}_v[0-9]+_[ab]", stale) and stale not in names:
            conn.drop_collection(stale)
    if conn.has_collection(target) and _dim(conn, target) != dim:
        progress(f"Milvus collection {target} holds {_dim(conn, target)}-d vectors, the model gives {dim}: made anew")
        conn.drop_collection(target)
    if not conn.has_collection(target):
        _create(conn, target, dim)
    conn.load_collection(target)
    return target


def _record(build_dir: Path, entry: dict) -> None:
    """Write the "milvus" entry into the build's manifest (the manifest is not among its checksummed files)."""
    path = build_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["milvus"] = entry
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def in_sync(manifest: dict, address: str | None = None) -> bool:
    """Does the manifest name a whole collection of this schema in the Milvus at `address`?"""
    entry = manifest.get("milvus") or {}
    address = address or uri()
    if entry.get("schema_version") != SCHEMA_VERSION or not same_uri(entry.get("uri", ""), address):
        return False
    conn = client(address)
    return conn.has_collection(entry["collection"]) and count(conn, entry["collection"]) == entry.get("chunks")
