"""Scale mechanisms: embedding progress and resume, no-op updates from stats alone, carried-over articles,
lazy loading, the parallel path, and the look-alike corpus (scripts/make_corpus.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import build, checkpoint, store, vectors
from index.build import EMBED_BATCH, update
from index.chunk import indexed_text
from index.embed import FAKE, HashingEncoder
from qa.answer import ask
from scripts.make_corpus import GUANGZHOU_YEARS, write_corpus
from tests.conftest import SEEDS
from tests.test_update import BAIYUN_2025, Q_BAIYUN_2026, embedded_texts, snapshot  # noqa: F401 - fixture


class Stop(Exception):
    """Stands in for Ctrl-C in the middle of embedding."""


def test_progress_per_batch_and_an_interrupted_build_resumes_without_re_embedding(
        seeds_copy: Path, tmp_path: Path, embedded_texts):
    index_dir = tmp_path / "index"
    calls: list[tuple[int, int]] = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        update(seeds_copy, index_dir, model=FAKE, on_embedded=stop_after_two)
    assert calls == [(EMBED_BATCH, calls[0][1]), (2 * EMBED_BATCH, calls[0][1])] and calls[0][1] > 2 * EMBED_BATCH
    assert not index_dir.exists()  # nothing published
    total = calls[0][1]
    first_run = list(embedded_texts)
    embedded_texts.clear()
    calls.clear()
    report = update(seeds_copy, index_dir, model=FAKE, on_embedded=lambda d, t: calls.append((d, t)))
    assert report.embedded == total - 2 * EMBED_BATCH == len(embedded_texts)
    assert not set(embedded_texts) & set(first_run)  # what was embedded before is never embedded again
    assert calls[-1] == (total - 2 * EMBED_BATCH,) * 2
    assert not checkpoint.folder(index_dir).exists()  # published: the checkpoint is gone
    stored = store.load(index_dir)
    assert np.array_equal(vectors.rows(stored.vectors), HashingEncoder().passages([indexed_text(c) for c in stored.chunks]))


def test_a_no_op_update_reads_no_seed_and_no_index_data(fake_index: Path, seeds_copy: Path, tmp_path: Path,
                                                        monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)

    def forbidden(*args, **kwargs):
        raise AssertionError("read during a no-op update")

    for name in ("read_seeds", "file_hash", "_published"):
        monkeypatch.setattr(build, name, forbidden)
    monkeypatch.setattr(store, "load", forbidden)
    assert update(seeds_copy, index_dir).up_to_date


def test_one_new_article_is_the_only_one_chunked_and_tokenized(seeds_copy: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    before = snapshot(index_dir)
    prepared: list[str] = []
    real = build._prepare
    monkeypatch.setattr(build, "_prepare", lambda job: prepared.append(job[0]) or real(job))
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    report = update(seeds_copy, index_dir, model=FAKE)
    assert prepared == ["005_baiyun_2025.txt"] and report.added == ("005_baiyun_2025.txt",)
    assert report.embedded == report.chunks - len(before["chunks"])
    (seeds_copy / "005_baiyun_2025.txt").unlink()
    prepared.clear()
    assert update(seeds_copy, index_dir, model=FAKE).removed == ("005_baiyun_2025.txt",) and prepared == []
    after = snapshot(index_dir)
    assert np.array_equal(after.pop("vectors"), before.pop("vectors")) and after == before  # as it was


def test_a_cold_load_reads_metadata_only_and_an_answer_reads_its_articles(fake_index: Path):
    stored = store.load(fake_index)
    years = {a.year_number for a in stored.articles.values()}  # what answering reads of every article
    assert years and all(a._text is None for a in stored.articles.values())
    answer = ask(stored, Q_BAIYUN_2026)
    read = {s for s, a in stored.articles.items() if a._text is not None}
    assert answer.figure == "1400亿元" and read <= {c.source for c in answer.citations}
    article = stored.articles["003_ceb711fc79301318.txt"]
    assert article.text == (SEEDS / article.source).read_text(encoding="utf-8")


def test_the_parallel_path_builds_what_the_serial_one_does(seeds_copy: Path, tmp_path: Path, monkeypatch):
    serial = tmp_path / "serial"
    update(seeds_copy, serial, model=FAKE)
    monkeypatch.setattr(build, "PARALLEL_MIN_ARTICLES", 1)
    parallel = tmp_path / "parallel"
    update(seeds_copy, parallel, model=FAKE)
    a, b = snapshot(serial), snapshot(parallel)
    assert np.array_equal(a.pop("vectors"), b.pop("vectors")) and a == b


def test_look_alike_articles_never_speak_of_the_seeds_city_and_years(seeds_copy: Path, tmp_path: Path):
    write_corpus(40, seeds_copy)
    index_dir = tmp_path / "index"
    report = update(seeds_copy, index_dir, model=FAKE)
    stored = store.load(index_dir)
    made = [a for s, a in stored.articles.items() if s.startswith("lookalike_")]
    assert len(made) == 40 and 20 * 40 < report.chunks - 175 < 45 * 40
    for article in made:
        home = article.city and article.city.value == "广州市"
        assert not home or article.year_number in GUANGZHOU_YEARS, article.source
    assert ask(stored, Q_BAIYUN_2026).figure == "1400亿元"  # 贵阳市白云区 and earlier years do not win
