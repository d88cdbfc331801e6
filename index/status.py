"""What the published index holds, and whether seeds/ or the indexing code changed since it was built."""
from __future__ import annotations

from pathlib import Path

from index.pipeline import pipeline_version
from index.load import fingerprint
from index.backend import chosen, load
from index.store import part_entries


def seed_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, list[str]]:
    """Two {file name: sha256} maps → the names added, changed and removed."""
    return {"added": sorted(set(new) - set(old)),
            "changed": sorted(n for n in set(old) & set(new) if old[n] != new[n]),
            "removed": sorted(set(old) - set(new))}


def status(seeds_dir: Path, index_dir: Path) -> dict:
    """Articles (metadata with evidence, chunk counts), model, build time, counts, seed and pipeline changes."""
    stored = load(index_dir, check_rules=False)
    current = fingerprint(seeds_dir) if Path(seeds_dir).is_dir() else {}
    built_by, now = stored.manifest.get("pipeline_version"), pipeline_version()
    per_article = {source: record["chunks"] for source, record in stored.articles.records.items()}
    from index.embed import question_engine

    return {"path": str(stored.path), "built_at": stored.manifest["built_at"], "model": stored.model,
            # what a server's questions go through: the ONNX export when made, else the manifest's engine (and why)
            "question_engine": question_engine(stored.model),
            "counts": stored.manifest["counts"], "parts": part_entries(stored.manifest),
            "articles": [{**a.metadata(), "chunks": per_article[a.source]} for a in stored.articles.values()],
            "rejected": stored.manifest.get("rejected", []),
            "seeds_changed": seed_changes(stored.manifest.get("seeds", {}), current),
            "pipeline": {"index": built_by, "current": now, "stale": built_by != now},
            "backend": {"name": chosen(), **({k: stored.manifest["milvus"][k] for k in ("uri", "alias", "collection")}
                                             if chosen() == "milvus" else {})}}
