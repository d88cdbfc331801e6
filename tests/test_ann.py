"""The IVF index of large builds (`index.vectors`): its nprobe chosen by the build against exact search, kept in
the file, and builds of the earlier HNSW kind served by exact search until an update replaces their graph."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from index import store, vectors
from index.build import update
from index.embed import FAKE
from qa.answer import ask
from tests.test_update import Q_BAIYUN_2026

DIM, CENTRES = 32, 40


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """`n` unit rows around `centres` (as passages of a few topics are): cosine ≈ 0.7 to their centre."""
    return _unit(centres[rng.integers(0, len(centres), n)] + rng.normal(0, 1 / np.sqrt(DIM), (n, DIM)))


@pytest.fixture(scope="module")
def ivf_build(tmp_path_factory) -> tuple[Path, np.ndarray, dict]:
    folder = tmp_path_factory.mktemp("ivf")
    rng = np.random.default_rng(7)
    centres = _unit(rng.normal(size=(CENTRES, DIM)))
    rows = _clustered(6000, rng, centres)
    np.save(folder / vectors.ROWS, rows, allow_pickle=False)
    report = vectors.save_ann(rows, folder, min_rows=1000)
    return folder, centres, report


def test_the_build_chooses_the_smallest_nprobe_that_reaches_the_target_and_fresh_queries_meet_it(ivf_build):
    folder, centres, report = ivf_build
    assert report["lists"] == vectors.ivf_lists(6000) == 64
    nprobe, by_nprobe = report["nprobe"], report["recall_knn_by_nprobe"]
    assert 1 < nprobe < report["lists"]  # the index scans a part of the rows: an ANN, not exact search
    assert min(by_nprobe[nprobe].values()) >= vectors.ANN_RECALL_TARGET
    assert min(by_nprobe[nprobe // 2].values()) < vectors.ANN_RECALL_TARGET  # the smallest power of two that does
    stored = vectors.load(folder)
    assert stored.ann() is not None and stored.ann().nprobe == nprobe  # kept in the file
    rng = np.random.default_rng(11)  # queries the calibration never saw: passage-like and far from every row
    for queries in (_clustered(300, rng, centres), _unit(rng.normal(size=(300, DIM)))):
        assert vectors.recall_at(stored, queries, 10).knn >= 0.98  # issue 9's requirement


def test_an_ivf_build_is_repeatable_and_reads_what_it_wrote(ivf_build, tmp_path: Path):
    folder, _, report = ivf_build
    rows = np.load(folder / vectors.ROWS)
    np.save(tmp_path / vectors.ROWS, rows, allow_pickle=False)
    assert vectors.save_ann(rows, tmp_path, min_rows=1000) == report
    assert (tmp_path / vectors.ANN).read_bytes() == (folder / vectors.ANN).read_bytes()
    assert json.loads((folder / vectors.ANN_REPORT).read_text(encoding="utf-8"))["nprobe"] == report["nprobe"]
    before = os.stat(folder / vectors.ANN).st_mtime_ns
    stored = vectors.load(folder)
    query = rows[17]
    assert vectors.search(stored, query, 5)[0][0] == 17  # a row finds itself
    assert os.stat(folder / vectors.ANN).st_mtime_ns == before  # mapped read-only: a published file is not touched
    assert vectors.save_ann(rows[:500], tmp_path / "none", min_rows=1000) is None


@pytest.fixture
def small_ann(monkeypatch):
    """The ANN threshold lowered below the seeds' chunk count: a seeds build gets an IVF index."""
    monkeypatch.setattr(vectors, "ANN_MIN_ROWS", 100)


def test_a_build_of_the_hnsw_kind_is_searched_exactly_and_the_next_update_replaces_its_graph(
        small_ann, seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    build = index_dir.resolve()
    assert (build / vectors.ANN).is_file() and store.load(index_dir).vectors.parts[0].ann() is not None
    assert update(seeds_copy, index_dir, model=FAKE).up_to_date
    # as a build by earlier code left it: an HNSW graph (here bytes no reader may trust), no IVF index
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    for name in (vectors.ANN, vectors.ANN_REPORT):
        (build / name).unlink()
        del manifest["files"][name]
    (build / vectors.OLD_ANN[0]).write_bytes(b"an HNSW graph")
    manifest["files"][vectors.OLD_ANN[0]] = store.file_record(build / vectors.OLD_ANN[0])
    (build / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    stored = store.load(index_dir)
    assert stored.vectors.parts[0].ann() is None  # exact search: the old graph is never read
    assert ask(stored, Q_BAIYUN_2026).figure == "1400亿元"
    report = update(seeds_copy, index_dir, model=FAKE)
    assert not report.up_to_date and report.embedded == 0  # written again, every article carried over
    rebuilt = index_dir.resolve()
    assert (rebuilt / vectors.ANN).is_file() and not (rebuilt / vectors.OLD_ANN[0]).exists()
    assert ask(store.load(index_dir), Q_BAIYUN_2026).figure == "1400亿元"
    assert update(seeds_copy, index_dir, model=FAKE).up_to_date


def test_a_damaged_ivf_file_is_an_error_naming_the_fix(small_ann, seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    path = index_dir.resolve() / vectors.ANN
    stat = os.stat(path)
    data = bytearray(path.read_bytes())
    data[:4] = b"XXXX"  # damage that keeps size and mtime: not caught at load, caught at the first search
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    stored = store.load(index_dir)
    with pytest.raises(store.IndexCorrupt, match="vectors.ivf.faiss.*gzqa index build --force"):
        stored.dense(Q_BAIYUN_2026, 10)


def test_an_ann_file_that_is_no_ivf_index_or_names_rows_beyond_the_build_is_damage(ivf_build, tmp_path: Path):
    import faiss

    folder, _, _ = ivf_build
    rows = np.load(folder / vectors.ROWS)
    np.save(tmp_path / vectors.ROWS, rows, allow_pickle=False)
    flat = faiss.IndexFlatIP(rows.shape[1])
    flat.add(rows)
    faiss.write_index(flat, str(tmp_path / vectors.ANN))  # readable, the right rows, but not the kind searched
    with pytest.raises(ValueError, match="not an IVF index"):
        vectors.load(tmp_path).ann()
    stored = vectors.load(folder)
    ivf = faiss.read_index(str(folder / vectors.ANN))  # in memory (not the mapped file): its ids damaged here
    lists = faiss.downcast_InvertedLists(ivf.invlists)
    for list_no in range(ivf.nlist):
        ids = faiss.rev_swig_ptr(lists.get_ids(list_no), lists.list_size(list_no))
        ids[:] = len(rows) + 5  # as a damaged id region that kept the file's size would read
    stored._ann = ivf
    with pytest.raises(ValueError, match="beyond"):
        vectors.search(stored, rows[0], 10)


def test_a_build_made_with_other_ivf_settings_is_built_again(small_ann, seeds_copy: Path, tmp_path: Path,
                                                             monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    assert update(seeds_copy, index_dir, model=FAKE).up_to_date
    monkeypatch.setattr(vectors, "ANN_RECALL_TARGET", 0.995)  # as a later code would ask
    report = update(seeds_copy, index_dir, model=FAKE)
    assert not report.up_to_date and report.embedded == 0  # the IVF index again, every article carried over
    written = json.loads((index_dir.resolve() / vectors.ANN_REPORT).read_text(encoding="utf-8"))
    assert written["settings"]["target"] == 0.995 and update(seeds_copy, index_dir, model=FAKE).up_to_date


def test_an_index_calibrated_to_scan_every_list_is_searched_exactly(ivf_build, tmp_path: Path):
    folder, _, _ = ivf_build
    stored = vectors.load(folder)
    ivf = stored.ann()
    rows = np.asarray(stored.rows)
    saved = ivf.nprobe
    try:
        ivf.nprobe = ivf.nlist
        assert vectors.search(stored, rows[3], 10) == vectors.exact(stored, rows[3], 10)
    finally:
        ivf.nprobe = saved
