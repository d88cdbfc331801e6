"""Upload rules (no gradio, no browser): which names are taken, where files land, what counts as a copy."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from ui.upload import MAX_UPLOAD, UploadRefused, safe_name, save_upload, save_upload_file

LIWAN = ("# 荔湾区召开2025年高质量发展推进会\n\n本报讯 记者 陈明 2月10日，荔湾区召开2025年高质量发展推进会。\n\n"
         "荔湾区委书记表示，2025年荔湾区力争引进重点产业项目87个，推动西关永庆坊文旅消费提质升级。\n")


def test_upload_rules_do_not_import_gradio():
    probe = "import sys, ui.upload; print('gradio' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize("given, expected", [
    ("荔湾区2025年报道.txt", "荔湾区2025年报道.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.TXT", "evil.txt"),
    ("/abs/path/新闻 稿（终）.txt", "新闻_稿_终.txt"),
    (".bashrc.txt", "bashrc.txt"),
    ("../.txt", "article.txt"),
    ("a<b>|c:d*?.txt", "a_b_c_d.txt"),
    ("长" * 200 + ".txt", "长" * 80 + ".txt"),
])
def test_safe_name_is_a_plain_txt_base_name(given, expected):
    assert safe_name(given) == expected


@pytest.mark.parametrize("given", ["notes.md", "报道.docx", "a.txt.md", "../../etc/passwd", ".bashrc", "..", ""])
def test_a_name_that_is_not_txt_is_refused_not_renamed(given):
    with pytest.raises(UploadRefused, match=r"不是 \.txt 文件.*另存为 UTF-8 纯文本"):
        safe_name(given)


def test_upload_lands_in_seeds_and_never_elsewhere(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    saved = save_upload(seeds, "../../outside.txt", LIWAN.encode())
    assert saved.changed and saved.name == "outside.txt"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["outside.txt", "seeds"]
    assert (seeds / "outside.txt").read_text(encoding="utf-8") == LIWAN


def test_upload_never_silently_overwrites(tmp_path):
    (tmp_path / "a.txt").write_text("旧文章。", encoding="utf-8")
    saved = save_upload(tmp_path, "a.txt", "新文章。".encode())
    assert saved.name == "a-2.txt" and "a-2.txt" in saved.message and "同名" in saved.message
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "旧文章。"
    replaced = save_upload(tmp_path, "a.txt", "第三版。".encode(), replace=True)
    assert replaced.name == "a.txt" and "替换" in replaced.message
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "第三版。"
    again = save_upload(tmp_path, "copy.txt", "第三版。".encode())
    assert not again.changed and again.name == "a.txt" and not (tmp_path / "copy.txt").exists()
    assert not list(tmp_path.glob(".upload-*"))


@pytest.mark.parametrize("variant", [
    "\ufeff" + LIWAN,  # a BOM
    LIWAN.replace("\n", "\r\n"),  # Windows line endings
    "\ufeff" + LIWAN.replace("\n", "\r\n"),
])
def test_a_copy_differing_only_in_bom_or_line_endings_is_a_duplicate(tmp_path, variant):
    (tmp_path / "liwan.txt").write_text(LIWAN, encoding="utf-8")
    saved = save_upload(tmp_path, "liwan-windows.txt", variant.encode("utf-8"))
    assert not saved.changed and saved.name == "liwan.txt" and "相同内容" in saved.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["liwan.txt"]


def test_a_bom_crlf_original_is_matched_by_a_plain_copy(tmp_path):
    (tmp_path / "liwan.txt").write_bytes(("\ufeff" + LIWAN.replace("\n", "\r\n")).encode("utf-8"))
    saved = save_upload(tmp_path, "copy.txt", LIWAN.encode("utf-8"))
    assert not saved.changed and saved.name == "liwan.txt"


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"), (b"\x00\x01binary", "binary"), ("广州".encode("gb18030"), "UTF-8"),
    (b"x" * (MAX_UPLOAD + 1), "太大"),
])
def test_unusable_uploads_are_refused_with_the_reason(tmp_path, data, reason):
    with pytest.raises(UploadRefused, match=reason):
        save_upload(tmp_path, "bad.txt", data)
    assert not list(tmp_path.iterdir())


def test_a_markdown_upload_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(UploadRefused, match=r"notes\.md: 不是 \.txt 文件"):
        save_upload(tmp_path, "notes.md", LIWAN.encode())
    assert not list(tmp_path.iterdir())


def test_an_uploaded_file_is_checked_before_it_is_read(tmp_path):
    seeds, incoming = tmp_path / "seeds", tmp_path / "incoming"
    seeds.mkdir()
    incoming.mkdir()
    big = incoming / "big.txt"
    with open(big, "wb") as handle:  # sparse: no need to write 5 MB
        handle.truncate(MAX_UPLOAD + 1)
    with pytest.raises(UploadRefused, match="太大"):
        save_upload_file(seeds, big)
    (incoming / "notes.md").write_text(LIWAN, encoding="utf-8")
    with pytest.raises(UploadRefused, match="不是 .txt"):
        save_upload_file(seeds, incoming / "notes.md")
    assert not list(seeds.iterdir())
    (incoming / "荔湾.txt").write_text(LIWAN, encoding="utf-8")
    assert save_upload_file(seeds, incoming / "荔湾.txt").name == "荔湾.txt"
    assert (seeds / "荔湾.txt").read_text(encoding="utf-8") == LIWAN
