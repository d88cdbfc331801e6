"""Issue 10, findings 1, 5 and 6: hostile seeds, replaced uploads, odd names and a wrong --index-dir."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import store
from index.build import update
from index.embed import FAKE
from index.load import read_seeds
from index.status import status as index_status
from qa.answer import ask
from tests.test_update import BAIYUN_2026, Q_BAIYUN_2026, gzqa
from tests.test_watch import Watch
from ui import html
from ui.upload import REPLACED, kept_versions, restore, save_upload

SECRET = "root:x:0:0:gzqa-secret-marker:/root:/bin/bash\n"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A readable file outside the seeds, as /etc/passwd is."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET * 20, encoding="utf-8")
    return path


def plant_links(seeds: Path, secret: Path) -> None:
    """The red team's links: to a file outside, to a folder outside, and to another seed inside."""
    (seeds / "passwd.txt").symlink_to(secret)
    (seeds / "etc.txt").symlink_to(secret.parent)
    (seeds / "again.txt").symlink_to(seeds / BAIYUN_2026)


def assert_never_indexed(index_dir: Path) -> None:
    stored = store.load(index_dir)
    assert not {"passwd.txt", "etc.txt", "again.txt"} & set(stored.articles)
    assert not any("gzqa-secret-marker" in c.text for c in stored.chunks)
    assert not any("gzqa-secret-marker" in a.text for a in stored.articles.values())
    refused = {r["source"]: r["reason"] for r in stored.manifest["rejected"]}
    for name in ("passwd.txt", "etc.txt", "again.txt"):
        assert "symbolic link" in refused[name], refused


def test_cli_update_refuses_symlinks_by_name_and_reason(seeds_copy: Path, tmp_path: Path, secret: Path):
    plant_links(seeds_copy, secret)
    index_dir = tmp_path / "index"
    run = gzqa("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE)
    assert run.returncode == 0, run.stderr
    refused = [line for line in run.stderr.splitlines() if line.startswith("refused ")]
    assert sorted(line.split(":")[0] for line in refused) == ["refused again.txt", "refused etc.txt",
                                                             "refused passwd.txt"]
    assert f"(to {secret})" in run.stderr and "copy the article in instead" in run.stderr
    assert_never_indexed(index_dir)
    answer = ask(store.load(index_dir), "gzqa-secret-marker root")
    assert all(c.source not in ("passwd.txt", "etc.txt") for c in answer.citations)
    status = gzqa("index", "status", "--json", "--seeds", str(seeds_copy), "--index-dir", str(index_dir))
    assert "gzqa-secret-marker" not in status.stdout and len(json.loads(status.stdout)["articles"]) == 5


def test_a_seeds_folder_that_is_itself_a_link_is_fine(seeds_copy: Path, tmp_path: Path):
    link = tmp_path / "seeds-link"
    link.symlink_to(seeds_copy)
    texts, rejected = read_seeds(link)
    assert len(texts) == 5 and rejected == []


def test_watch_refuses_a_symlink_dropped_in(seeds_copy: Path, tmp_path: Path, secret: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    watch = Watch(seeds_copy, index_dir)
    try:
        watch.wait_for(watch.err, "watching")
        (seeds_copy / "passwd.txt").symlink_to(secret)
        line = watch.wait_for(watch.err, "refused passwd.txt")
        assert "symbolic link" in line and str(secret) in line
    finally:
        assert watch.stop() == 0
    assert_never_indexed_one(index_dir)


def assert_never_indexed_one(index_dir: Path) -> None:
    stored = store.load(index_dir)
    assert "passwd.txt" not in stored.articles
    assert not any("gzqa-secret-marker" in c.text for c in stored.chunks)


def test_web_update_and_index_panel_show_the_refused_link(seeds_copy: Path, tmp_path: Path, secret: Path):
    from ui.web import Jobs

    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    plant_links(seeds_copy, secret)
    log = list(Jobs(seeds_copy, index_dir).run(False, ["增量更新"]))[-1]
    assert "未收录 passwd.txt：a symbolic link" in log and "gzqa-secret-marker" not in log
    panel = html.status_panel(index_status(seeds_copy, index_dir))
    assert "passwd.txt" in panel and "symbolic link" in panel and "gzqa-secret-marker" not in panel
    assert_never_indexed(index_dir)


def test_a_control_character_in_a_name_is_refused_and_shown_escaped(seeds_copy: Path, tmp_path: Path):
    (seeds_copy / "evil\nrefused 003_ceb711fc79301318.txt: fake.txt").write_text("白云区" * 50, encoding="utf-8")
    (seeds_copy / "bell\x07\x1b[31m.txt").write_text("番禺区" * 50, encoding="utf-8")
    run = gzqa("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(tmp_path / "index"), "--model", FAKE)
    lines = [line for line in run.stderr.splitlines() if line.startswith("refused")]
    assert run.returncode == 0 and len(lines) == 2, run.stderr  # one line per file, however the name is made
    assert "refused evil\\nrefused 003_ceb711fc79301318.txt: fake.txt: file name holds control characters; rename the file" in lines
    assert "refused bell\\x07\\x1b[31m.txt: file name holds control characters; rename the file" in lines
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr


@pytest.mark.parametrize("command", [("ask", Q_BAIYUN_2026), ("index", "status"), ("index", "update", "--model", FAKE)])
def test_index_dir_pointing_at_a_plain_file_names_the_problem(tmp_path: Path, command: tuple[str, ...]):
    plain = tmp_path / "notes.txt"
    plain.write_text("not an index", encoding="utf-8")
    run = gzqa(*command, "--index-dir", str(plain))
    err = run.stderr.strip()
    assert run.returncode == 1 and run.stdout == "" and len(err.splitlines()) == 1, err
    assert "is a file" in err and f"--index-dir {plain}" in err and "plain directory" not in err
    assert "build --force" not in err  # advice that could never work


def test_index_dir_pointing_at_a_folder_without_an_index(tmp_path: Path):
    run = gzqa("ask", Q_BAIYUN_2026, "--index-dir", str(tmp_path))
    assert run.returncode == 1 and "folder without an index" in run.stderr
    assert f"--index-dir {tmp_path}" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_replacing_a_seed_keeps_the_previous_version_and_restores_it(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    original = (seeds_copy / BAIYUN_2026).read_bytes()
    saved = save_upload(seeds_copy, BAIYUN_2026, "白云区的一篇短文。".encode() * 5, replace=True)
    assert saved.changed and REPLACED in saved.message
    [kept] = kept_versions(seeds_copy)
    assert kept.name == BAIYUN_2026 and (seeds_copy / REPLACED / kept.file).read_bytes() == original
    update(seeds_copy, index_dir, model=FAKE)
    stored = store.load(index_dir)
    assert len(stored.articles) == 5 and not any(REPLACED in s for s in stored.articles)  # kept, never indexed
    assert ask(stored, Q_BAIYUN_2026).figure != "1400亿元"  # what the issue saw: the flagship answer gone

    back = restore(seeds_copy, kept.file)
    assert back.changed and (seeds_copy / BAIYUN_2026).read_bytes() == original
    assert len(kept_versions(seeds_copy)) == 2  # the short text that was replaced is kept in turn
    update(seeds_copy, index_dir, model=FAKE)
    assert ask(store.load(index_dir), Q_BAIYUN_2026).figure == "1400亿元"


def test_restore_takes_only_a_kept_version(seeds_copy: Path):
    from ui.upload import UploadRefused

    for name in ("../../etc/passwd", BAIYUN_2026, ""):
        with pytest.raises(UploadRefused):
            restore(seeds_copy, name)
