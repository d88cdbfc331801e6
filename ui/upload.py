"""Upload rules for the web app: which articles are taken, under which name, and where they land (no gradio).

An upload is a `.txt` article (the rule `index.load` indexes by), UTF-8 and at
most `MAX_UPLOAD` bytes. It lands only in seeds/, under a sanitised base name,
and never overwrites silently: a name in use moves it to "name-2.txt" unless the
user asked to replace. An article whose text is already in seeds/ (the text as
indexing compares it: BOM and line endings aside) is not added twice.

Nothing an upload does destroys a file without a way back: a replaced article is
kept as `seeds/.replaced/<name>.<UTC timestamp>` (a hidden folder: never
indexed), and `restore` puts any kept version back (keeping the one it replaces
the same way).
"""
from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from index.load import decode, read_seeds, text_sha256
from index.records import Rejected

MAX_UPLOAD = 5 * 1024 * 1024
MAX_STEM = 80  # characters; 80 CJK characters are 240 bytes, under the usual 255-byte file name limit
UNSAFE = re.compile(r"[^\w\-.]+")  # \w is Unicode-aware: Chinese characters are kept
REPLACED = ".replaced"  # under seeds/: hidden, so `index.load` never reads it as seeds
STAMP = re.compile(r"^(?P<name>.+\.txt)\.(?P<stamp>\d{8}T\d{12}Z)$")  # <name>.<YYYYmmddTHHMMSSffffff>Z


class UploadRefused(ValueError):
    """An upload that was not saved; the message says why and what to do."""


@dataclass(frozen=True)
class Saved:
    """Where an upload went and what the user should be told."""

    name: str
    message: str
    changed: bool  # seeds/ changed, so the index needs an update


def safe_name(name: str) -> str:
    """A browser-supplied `*.txt` name → a plain `*.txt` base name (no folders, hidden files or odd characters).

    Any other name is refused (UploadRefused): a .md or .docx is never renamed into an article.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]  # either separator: Windows paths too
    if not base.lower().endswith(".txt"):  # the suffix indexing takes (`index.load.is_text_seed`)
        raise UploadRefused(f"{base or '（无文件名）'}: 不是 .txt 文件——请把文章另存为 UTF-8 纯文本（.txt）后再上传")
    stem = re.sub(r"_+", "_", UNSAFE.sub("_", base[:-4])).strip("._-")[:MAX_STEM].rstrip("._-")
    return f"{stem or 'article'}.txt"


@dataclass(frozen=True)
class Kept:
    """A replaced version of an article, kept in seeds/.replaced/."""

    name: str  # the article's file name in seeds/
    stamp: str  # when it was replaced, UTC, "20261130T061500123456Z"
    file: str  # its file name in seeds/.replaced/

    def when(self) -> str:
        """"2026-11-30 06:15:00 UTC"."""
        s = self.stamp
        return f"{s[:4]}-{s[4:6]}-{s[6:8]} {s[9:11]}:{s[11:13]}:{s[13:15]} UTC"

    def label(self) -> str:
        """"003.txt（2026-11-30 06:15:00 UTC 被替换）", for a list to choose from."""
        return f"{self.name}（{self.when()} 被替换）"


def keep_previous(seeds_dir: Path, target: Path) -> Path:
    """Hard-link the article at `target` into seeds/.replaced/ under its name and the time → the kept path."""
    folder = Path(seeds_dir) / REPLACED
    folder.mkdir(exist_ok=True)
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f"{now // 1000 % 10**6:06d}Z"
    kept = folder / f"{target.name}.{stamp}"
    os.link(target, kept, follow_symlinks=False)  # the old bytes stay, whatever then happens to the name
    return kept


def kept_versions(seeds_dir: Path) -> list[Kept]:
    """The replaced versions kept in seeds/.replaced/, newest first."""
    folder = Path(seeds_dir) / REPLACED
    found = [STAMP.match(p.name) for p in folder.iterdir()] if folder.is_dir() else []
    return sorted((Kept(m["name"], m["stamp"], m.string) for m in found if m), key=lambda k: k.stamp, reverse=True)


def restore(seeds_dir: Path, file: str) -> Saved:
    """Put the kept version `file` (a name in seeds/.replaced/) back in seeds/; the current article is kept in turn."""
    seeds = Path(seeds_dir).resolve()
    kept = next((k for k in kept_versions(seeds) if k.file == file), None)
    if kept is None:
        raise UploadRefused(f"{file}: 没有这个被替换的版本")
    target = seeds / kept.name
    tmp = seeds / f".restore-{uuid.uuid4().hex}.part"
    shutil.copyfile(seeds / REPLACED / kept.file, tmp)  # a copy: editing the restored article leaves the kept one
    try:
        if target.exists() or target.is_symlink():
            keep_previous(seeds, target)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return Saved(kept.name, f"已恢复 {kept.name}（{kept.when()} 被替换的版本）；恢复前的版本也已保留，可再恢复。", True)


def save_upload(seeds_dir: Path, original_name: str, data: bytes, replace: bool = False) -> Saved:
    """Check an uploaded article and put it in `seeds_dir`; never writes anywhere else, never half a file."""
    name = safe_name(original_name)
    if len(data) > MAX_UPLOAD:
        raise UploadRefused(f"{name}: 文件太大（{len(data) / 1_048_576:.1f} MB，上限 {MAX_UPLOAD // 1_048_576} MB）——请拆分文章")
    decoded = decode(name, data)
    if isinstance(decoded, Rejected):
        raise UploadRefused(f"{name}: 无法收录——{decoded.reason}")
    seeds = Path(seeds_dir).resolve()
    target = seeds / name
    if target.parent != seeds:  # safe_name leaves no separator; this keeps that promise checkable
        raise UploadRefused(f"{original_name}: 文件名不可用")
    digest = text_sha256(decoded)
    same = next((s.source for s in read_seeds(seeds)[0] if s.sha256 == digest), None)
    if same:
        return Saved(same, f"{same} 已有相同内容，未重复添加。", False)
    tmp = seeds / f".upload-{uuid.uuid4().hex}.part"  # not *.txt: an update running now never reads it
    tmp.write_bytes(data)
    try:
        if replace and target.exists():
            kept = keep_previous(seeds, target)
            os.replace(tmp, target)
            return Saved(name, f"已替换同名文件 {name}（内容不同）；原文件保留为 {REPLACED}/{kept.name}，"
                               f"可在「索引」页恢复。", True)
        stem, n = target.stem, 1
        while True:  # a hard link never overwrites: a name taken meanwhile just moves us to the next one
            try:
                os.link(tmp, target)
                break
            except FileExistsError:
                n += 1
                target = seeds / f"{stem}-{n}.txt"
        if target.name != name:
            return Saved(target.name, f"已有另一篇同名文件 {name}，新文章保存为 {target.name}"
                                      f"（勾选“替换同名文件”可覆盖）。", True)
        return Saved(name, f"已保存为 {name}。", True)
    finally:
        tmp.unlink(missing_ok=True)


def save_upload_file(seeds_dir: Path, path: Path, replace: bool = False) -> Saved:
    """An uploaded file on disk (its name is the user's) → `save_upload`; a wrong name or size is refused unread."""
    path = Path(path)
    safe_name(path.name)  # refuses a file that is not .txt before its size is even looked at
    if os.path.getsize(path) > MAX_UPLOAD:  # before reading it into memory
        raise UploadRefused(f"{path.name}: 文件太大（上限 {MAX_UPLOAD // 1_048_576} MB）——请拆分文章")
    return save_upload(seeds_dir, path.name, path.read_bytes(), replace=replace)
