"""The Milvus backend of `index.api.Index`: postings and vectors searched in Milvus, the catalogue from the build.

What lives where (a choice): Milvus holds one row per chunk (id, content hash,
article, text, the project's tokens, year, place, section, lines), a BM25 sparse
field and the e5 vector, and answers `lexical` and `dense`. The published build
directory stays what it is for the embedded backend — manifest, articles and
their texts, chunks, BM25 statistics, vectors — and gives the catalogue: articles
(Milvus caps a VARCHAR at 64 KiB, an article can be 10 MiB), chunks by row, and
`terms`/`idf` for qa/'s coverage, exactly the embedded backend's. So the two
backends differ only in retrieval, and a Milvus build is a whole embedded build.

Tokens: BM25 must see the project's tokens (jieba + dictionary + synonyms,
`index.tokenize.tokens`), not an analyzer's. Text joined by spaces is not
portable: milvus-lite's `standard` tokenizer is a `\\w+` regex (it keeps "白云区"
whole but splits "5.5%" into "5" "5"), a server's `standard` follows Unicode word
breaks and cuts Chinese into single characters, and lite has no `whitespace`. So
each token is written as a word of [a-z0-9] only (`word`: "t" + 15 hex digits of
its sha1), which every Milvus tokenizer keeps whole and lower-case: the BM25
field holds the same terms on lite and on a server. The `tokens` field keeps the
readable tokens, for people and Milvus' own tools.

Scores: Milvus ranks with its own BM25 (idf log(1 + (N-df+.5)/(df+.5)), k1, b
below; statistics per segment on milvus-lite) where the embedded path has
BM25Plus: the same chunks match, the order can differ a little. Dense: FLAT
index, inner product over the normalised e5 vectors (= cosine, exact, as faiss).

Writing a build into Milvus, blue/green under an alias: `index.milvus_sync`.
milvus-lite runs inside the process that opens it, so one process at a time holds
its folder (a lock next to it says so); a server (GZQA_MILVUS_URI=http://…) is
shared. pymilvus is imported here and in `index.milvus_sync` only, lazily.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import store
from index.records import Article, Chunk

SCHEMA_VERSION = 1  # of the collection; it is part of the collection's name, so a new schema is a new collection
DEFAULT_BASE = "gzqa"  # the alias; collections are <base>_v<schema>_a and _b
DEFAULT_URI = "var/milvus.db"
BM25_K1, BM25_B = 1.2, 0.75  # the embedded path's BM25Plus parameters (index.bm25.BM25Params)
MAX_LIMIT = 16384  # Milvus refuses a larger top-k
TEXT_MAX = 65535  # Milvus' VARCHAR limit, in bytes
WORD_HEX = 15  # 60 bits of sha1: no two of a few million tokens share a word


def uri() -> str:
    """GZQA_MILVUS_URI, else var/milvus.db (a milvus-lite folder); http(s)://host:19530 is a server."""
    return os.environ.get("GZQA_MILVUS_URI") or DEFAULT_URI


def base() -> str:
    """GZQA_MILVUS_COLLECTION, else "gzqa": the alias of one index; another index in the same Milvus needs its own."""
    name = os.environ.get("GZQA_MILVUS_COLLECTION") or DEFAULT_BASE
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", name):
        raise store.IndexProblem(f"GZQA_MILVUS_COLLECTION {name!r} is no Milvus name — use letters, digits and _")
    return name


def is_lite(address: str) -> bool:
    return not address.startswith(("http://", "https://", "tcp://", "unix:"))


def same_uri(a: str, b: str) -> bool:
    """Two URIs name one Milvus (a lite path relative to the working folder compares by absolute path)."""
    if is_lite(a) and is_lite(b):
        return os.path.abspath(a) == os.path.abspath(b)
    return a.rstrip("/") == b.rstrip("/")


def fix(index_dir: Path | None = None) -> str:
    return f"run 'gzqa --backend milvus index update{store.where(index_dir) if index_dir else ''}'"


class MilvusUnavailable(store.IndexProblem):
    """Milvus cannot be reached or opened (a server down, a lite folder held by another process)."""


def word(token: str) -> str:
    """A project token → the [a-z0-9] word the BM25 field holds for it (same on every Milvus tokenizer)."""
    return "t" + hashlib.sha1(token.encode("utf-8")).hexdigest()[:WORD_HEX]


# --- connecting ---------------------------------------------------------------------------------------------

_CLIENTS: dict[str, object] = {}
_LOCKS: dict[str, object] = {}
_GUARD = threading.Lock()


def client(address: str | None = None):
    """A MilvusClient for `address` (default `uri()`), one per process; a clear error when it cannot open."""
    address = address or uri()
    key = os.path.abspath(address) if is_lite(address) else address
    with _GUARD:
        if key in _CLIENTS:
            return _CLIENTS[key]
        import logging

        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        for noisy in ("milvus_lite", "pymilvus"):  # their warnings are about their internals, not a user's fix
            logging.getLogger(noisy).setLevel(logging.ERROR)

        if is_lite(address):
            _hold_lite(key)
        try:
            made = MilvusClient(uri=key if is_lite(address) else address)
            made.list_collections()
        except (MilvusException, OSError, RuntimeError, ValueError) as err:
            _release_lite(key)
            hint = ("start it (docker compose up -d, see README), or point GZQA_MILVUS_URI elsewhere"
                    if not is_lite(address) else "check the path, or point GZQA_MILVUS_URI elsewhere")
            raise MilvusUnavailable(f"cannot open Milvus at {address} ({str(err).splitlines()[0][:80]}) — {hint}") from err
        _CLIENTS[key] = made
        return made


def _hold_lite(path: str) -> None:
    """Lock a milvus-lite folder for this process: two processes writing one folder would corrupt it."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(f"{path}.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise MilvusUnavailable(f"{path} is open in another gzqa process (milvus-lite serves one process at a "
                                "time) — stop it, or use a Milvus server: GZQA_MILVUS_URI=http://host:19530") from None
    _LOCKS[path] = handle


def _release_lite(path: str) -> None:
    handle = _LOCKS.pop(path, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def close(address: str | None = None) -> None:
    """Close this process' connection to `address`; a milvus-lite folder is stopped and its lock released."""
    address = address or uri()
    key = os.path.abspath(address) if is_lite(address) else address
    with _GUARD:
        made = _CLIENTS.pop(key, None)
        if made is not None:
            made.close()
        if is_lite(address):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(key)
            _release_lite(key)


def count(conn, collection: str) -> int:
    return int(conn.query(collection, filter="", output_fields=["count(*)"])[0]["count(*)"])


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class MilvusIndex:
    """The Milvus backend of `index.api.Index`: the pinned build's catalogue, search in the collection it names.

    Articles, chunks, facts and the term statistics qa/ weighs coverage with
    (`terms`, `idf`) are the build's, read by the embedded loader (`store.load`, which maps
    postings and vectors rather than reading them, where the build layout allows);
    `lexical` and `dense` are Milvus searches.
    """

    local: store.StoredIndex
    conn: object = field(repr=False)
    collection: str = ""
    _rows: dict[str, int] = field(default_factory=dict, repr=False)
    _encoder: object = field(default=None, repr=False)
    _last_query: tuple[str, object] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rows = {c.id: n for n, c in enumerate(self.local.chunks)}

    @property
    def path(self) -> Path:
        return self.local.path

    @property
    def manifest(self) -> dict:
        return self.local.manifest

    @property
    def articles(self) -> Mapping[str, Article]:
        return self.local.articles

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self.local.chunks

    @property
    def model(self) -> dict:
        return self.manifest["model"]

    def terms(self, row: int):
        """The indexed tokens of chunk `row` (term → count), the build's: what Milvus' `tokens` field holds."""
        return self.local.terms(row)

    def idf(self, term: str) -> float:
        """The build's BM25Plus idf of `term`, as the embedded backend gives it (0.0 when no chunk holds it)."""
        return self.local.idf(term)

    def vocabulary(self):
        """The build's BM25 vocabulary (`index.api.Index.vocabulary`)."""
        return self.local.vocabulary()

    def catalog(self):
        """The build's articles' years, cities and dates, grouped (`index.api.Index.catalog`)."""
        return self.local.catalog()

    def facts(self):
        """Every figure the articles state: the build's facts table (`index.api.Index.facts`)."""
        return self.local.facts()

    def _search(self, data: list, field_name: str, metric: str, k: int,
                sources: Collection[str] | None = None) -> list[dict]:
        """One search of this index's collection (of `sources`' articles only, when given: Milvus filters before
        the cut); a Milvus gone away is an error naming the fix, not a traceback."""
        from pymilvus.exceptions import MilvusException

        where = "" if sources is None else f"article in {json.dumps(sorted(sources), ensure_ascii=False)}"
        if sources is not None and not sources:
            return []
        try:
            return self.conn.search(self.collection, data, anns_field=field_name, limit=min(k, MAX_LIMIT),
                                    filter=where, search_params={"metric_type": metric}, output_fields=["id"])[0]
        except MilvusException as err:
            raise MilvusUnavailable(f"Milvus search in {self.collection} failed ({str(err)[:80]}) — check that "
                                    f"Milvus at {self.manifest['milvus']['uri']} is running, then ask again") from err

    def _hits(self, found: Iterable[dict], bm25: bool = False) -> list[tuple[int, float]]:
        out = []
        for hit in found:
            row = self._rows.get(hit["id"])
            if row is None:
                continue
            score = float(hit["distance"])  # BM25: lite reports it negated (the order is right); IP: the cosine
            out.append((row, abs(score) if bm25 else score))
        return out

    def lexical(self, terms: Sequence[str], k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, Milvus BM25 score) of the best `k` chunks holding at least one of `terms`."""
        words = " ".join(word(t) for t in dict.fromkeys(terms))
        if not words or not self.chunks:
            return []
        return self._hits(self._search([words], "sparse", "BM25", k, sources), bm25=True)

    def dense(self, text: str, k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` chunks nearest to `text`; the last question's vector is kept for a retry."""
        if not self.chunks:
            return []
        if self._last_query is None or self._last_query[0] != text:
            self._last_query = (text, self.query_encoder().query(text))
        vector = np.asarray(self._last_query[1], dtype=np.float32).ravel().tolist()
        return self._hits(self._search([vector], "vector", "IP", min(k, len(self.chunks)), sources))

    def query_encoder(self, quick: bool = False):
        """The question encoder this index was built for (loaded once, on first use; `quick`: for one question,
        the one that opens fastest — `index.embed.query_encoder`)."""
        if self._encoder is None:
            from index.embed import query_encoder

            encoder = query_encoder(self.model, quick)
            dim = self.manifest["milvus"].get("dim")
            if self.chunks and dim and encoder.dim != dim:
                raise store.IndexStale(f"Milvus collection {self.collection} holds {dim}-dimensional vectors but "
                                       f"the model {self.model.get('name')} gives {encoder.dim} — {fix(self.path)}")
            self._encoder = encoder
        return self._encoder


def load(index_dir: Path, check_rules: bool = True, address: str | None = None) -> MilvusIndex:
    """The published build (pinned once) and the Milvus collection it names, checked; a clear error if anything is off."""
    index_dir, address = Path(index_dir), address or uri()
    local = store.load(index_dir, check_rules=check_rules)
    entry = local.manifest.get("milvus")
    if not entry:
        raise store.IndexStale(f"index in {index_dir} was not written to Milvus — {fix(index_dir)}")
    if entry.get("schema_version") != SCHEMA_VERSION:
        raise store.IndexStale(f"index in {index_dir} names a Milvus collection of schema {entry.get('schema_version')}, "
                               f"this gzqa reads {SCHEMA_VERSION} — {fix(index_dir)}")
    if not same_uri(entry.get("uri", ""), address):
        raise store.IndexStale(f"index in {index_dir} was written to Milvus at {entry.get('uri')}, not at {address} "
                               f"(GZQA_MILVUS_URI) — {fix(index_dir)}")
    conn = client(address)
    collection = entry["collection"]
    if not conn.has_collection(collection):
        raise store.IndexCorrupt(f"Milvus at {address} lacks the collection {collection} — {fix(index_dir)}")
    conn.load_collection(collection)
    held_now = count(conn, collection)
    if not len(local.chunks) == held_now == entry.get("chunks"):
        raise store.IndexCorrupt(f"Milvus collection {collection} holds {held_now} chunks, the index "
                                 f"{len(local.chunks)} — {fix(index_dir)}")
    return MilvusIndex(local, conn, collection)
