"""Read seed files: bytes on disk → decoded texts, or a reason each one was refused.

Seeds are the `.txt` files (any case: `.TXT` too) directly in the seeds folder.
Accepts UTF-8 with or without BOM, LF or CRLF. Refuses, naming the file and the
fix: files that are not `.txt` (a .docx or .md is never guessed at), empty
files, binary files, other encodings, oversized files (judged by their size on
disk, before reading), file names that are not UTF-8, and a copy of an article
already read under another name (the older file keeps it). Nothing refused
stops the rest. Hidden files (".upload-….part", ".DS_Store") and folders are
not seeds and pass unmentioned.
"""
from __future__ import annotations

import hashlib
import os
import stat as stat_kind
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from index.records import Rejected

MAX_BYTES = 10 * 1024 * 1024  # a news article is tens of KB; 10 MiB is millions of characters


@dataclass(frozen=True)
class SeedText:
    """A seed file's decoded text (BOM removed, newlines normalised to LF).

    `text` is None for a file `read_seeds` was told it need not read: unchanged
    since the published build, which holds its text (`sha256` is that build's).
    """

    source: str
    text: str | None
    sha256: str


def seed_paths(seeds_dir: Path) -> list[Path]:
    """The entries directly in `seeds_dir` that are not hidden, in name order: `.txt` seeds and files to refuse.

    A symbolic link is listed (to be refused by name) whatever it points to; a real folder is not a seed.
    """
    with os.scandir(seeds_dir) as entries:  # each entry knows its kind from the directory read: no stat a file
        found = sorted((e for e in entries if not e.name.startswith(".") and (e.is_symlink() or e.is_file())),
                       key=lambda e: e.name)  # by name: the order of their paths, without comparing Paths
    return [Path(e.path) for e in found]


def not_a_regular_file(path: Path) -> str | None:
    """Why `path` may not be read as a seed (a symbolic link, a device, a folder), or None.

    Checked without following links (`lstat`): a regular file listed directly in
    the seeds folder is inside it (its name holds no "/"), so nothing is resolved —
    a seeds folder that is itself a link is fine, and thousands of seeds cost no
    `realpath` each.
    """
    try:
        info = path.lstat()
    except OSError as err:
        return f"unreadable: {err.strerror}"
    if stat_kind.S_ISLNK(info.st_mode):
        try:
            target = printable(os.readlink(path))
        except OSError:
            target = "?"
        return (f"a symbolic link (to {target}), not a file — seeds must be regular files inside the seeds "
                f"folder; copy the article in instead")
    if not stat_kind.S_ISREG(info.st_mode):
        return "not a regular file — seeds must be regular files inside the seeds folder"
    return None


def is_text_seed(path: Path) -> bool:
    """Is this a file to index (`.txt` in any case), not one to refuse unread?"""
    return path.suffix.lower() == ".txt"


NOT_TXT = "not a .txt file — skipped; save the article as UTF-8 plain text (.txt) to index it"


def seed_name(path: Path) -> str:
    """The file name as printable text on one line: bytes that are not UTF-8 shown as \\xNN, control
    characters (a newline, an escape) as \\n, \\x1b … (such files are refused)."""
    return printable(path.name)


def printable(text: str) -> str:
    """A path's text (undecodable bytes as surrogates) → one printable line: \\xNN, \\n, \\x1b … for the rest."""
    if text.isprintable():  # the usual name, at once (no Cc/Zl/Zp, no undecodable byte: it prints as it is)
        return text
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)


def too_large(source: str, size: int) -> Rejected:
    """A file of `size` bytes over `MAX_BYTES` → its refusal."""
    return Rejected(source, f"too large ({size / 1_048_576:.0f} MiB > {MAX_BYTES // 1_048_576} MiB); "
                            f"split the article")


def read_regular(path: Path) -> bytes:
    """The bytes of `path`, refusing (OSError ELOOP) a symbolic link swapped in since it was checked."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def file_hash(path: Path) -> str:
    """sha256 of the file's bytes; for a file too large to index, its size and mtime (not worth reading)."""
    stat = path.stat()
    if stat.st_size > MAX_BYTES:
        return f"too-large:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(read_regular(path)).hexdigest()


def fingerprint(seeds_dir: Path) -> dict[str, str]:
    """File name → `file_hash`, for every seed file (refused ones too; one that vanished meanwhile is left out).

    A file that is not `.txt` is never read: its size and mtime stand in for its hash.
    """
    out = {}
    for path in seed_paths(seeds_dir):
        try:
            if not_a_regular_file(path):  # never read through a link: its own identity stands in for a hash
                info = path.lstat()
                out[seed_name(path)] = f"not-regular:{info.st_mode:o}:{info.st_size}:{info.st_mtime_ns}"
            elif is_text_seed(path):
                out[seed_name(path)] = file_hash(path)
            else:
                stat = path.stat()
                out[seed_name(path)] = f"not-txt:{stat.st_size}:{stat.st_mtime_ns}"
        except FileNotFoundError:
            continue
        except OSError as err:
            out[seed_name(path)] = f"unreadable:{err.errno}"
    return out


def decode(source: str, data: bytes) -> str | Rejected:
    """Bytes → normalised text, or a Rejected saying why not."""
    if len(data) > MAX_BYTES:
        return too_large(source, len(data))
    if not data.strip():
        return Rejected(source, "empty file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return Rejected(source, "UTF-16 text; save it as UTF-8")
    if b"\x00" in data[:65536]:
        return Rejected(source, "binary file (contains NUL bytes), not a text article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (looks like GBK/GB18030: convert with `iconv -f GB18030 -t UTF-8`)"
        except UnicodeDecodeError:
            pass
        return Rejected(source, f"not UTF-8 at byte {err.start}{hint}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Rejected(source, "no text after decoding")
    return text


def text_sha256(text: str) -> str:
    """Decoded text → the sha256 hex of its UTF-8 bytes: two files with equal text are one article."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_seeds(seeds_dir: Path, known: Mapping[str, tuple[str, list[int]]] | None = None
               ) -> tuple[list[SeedText], list[Rejected]]:
    """Every seed file in `seeds_dir`, decoded, in name order; refused files with their reasons.

    Of files with the same text, the oldest (by modification time, then name) is
    indexed: dropping in a copy never takes the article's name from the original.
    `known`: file name → (text sha256, [size, mtime ns]) of articles the published
    build holds; a regular .txt file whose size and mtime are still those is not
    read (its SeedText has no text), so adding one article to thousands reads one.
    """
    known = known or {}
    decoded: list[tuple[SeedText, tuple[int, str]]] = []
    rejected: list[Rejected] = []
    for path in seed_paths(seeds_dir):
        name = seed_name(path)
        odd = not_a_regular_file(path)
        if odd:
            rejected.append(Rejected(name, odd))
            continue
        if not is_text_seed(path):
            rejected.append(Rejected(name, NOT_TXT))
            continue
        if name != path.name:
            try:
                problem = path.name.encode("utf-8") and "holds control characters"
            except UnicodeEncodeError:
                problem = "is not UTF-8"
            rejected.append(Rejected(name, f"file name {problem}; rename the file"))
            continue
        try:
            stat = path.stat()
            if name in known and known[name][1] == [stat.st_size, stat.st_mtime_ns]:
                decoded.append((SeedText(name, None, known[name][0]), (stat.st_mtime_ns, name)))
                continue
            if stat.st_size > MAX_BYTES:
                rejected.append(too_large(name, stat.st_size))
                continue
            text = decode(name, read_regular(path))
        except OSError as err:
            rejected.append(Rejected(name, f"unreadable: {err.strerror}"))
            continue
        if isinstance(text, Rejected):
            rejected.append(text)
            continue
        decoded.append((SeedText(name, text, text_sha256(text)),
                        (stat.st_mtime_ns, name)))
    keeper: dict[str, tuple[int, str]] = {}
    for seed, age in decoded:
        keeper[seed.sha256] = min(age, keeper.get(seed.sha256, age))
    texts = []
    for seed, age in decoded:
        if keeper[seed.sha256] == age:
            texts.append(seed)
        else:
            rejected.append(Rejected(seed.source, f"same content as {keeper[seed.sha256][1]}; "
                                                  f"indexed once, under that name"))
    return texts, rejected
