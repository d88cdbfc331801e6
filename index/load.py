"""Read seed files: bytes on disk → decoded texts, or a reason each one was refused.

Accepts UTF-8 with or without BOM, LF or CRLF. Refuses, naming the file and the
fix: empty files, binary files, other encodings, oversized files, and a second
copy of content already read under another name. Nothing refused stops the rest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from index.records import Rejected

MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SeedText:
    """A seed file's decoded text (BOM removed, newlines normalised to LF)."""

    source: str
    text: str
    sha256: str


def seed_paths(seeds_dir: Path) -> list[Path]:
    """The `*.txt` files directly in `seeds_dir`, in name order."""
    return sorted(p for p in Path(seeds_dir).glob("*.txt") if p.is_file())


def fingerprint(seeds_dir: Path) -> dict[str, str]:
    """File name → sha256 of its bytes, for every seed file (refused ones too)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in seed_paths(seeds_dir)}


def decode(source: str, data: bytes) -> str | Rejected:
    """Bytes → normalised text, or a Rejected saying why not."""
    if len(data) > MAX_BYTES:
        return Rejected(source, f"too large ({len(data) // 1_048_576} MiB > {MAX_BYTES // 1_048_576} MiB); split the article")
    if not data.strip():
        return Rejected(source, "empty file")
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


def read_seeds(seeds_dir: Path) -> tuple[list[SeedText], list[Rejected]]:
    """Every seed file in `seeds_dir`, decoded; refused files with their reasons."""
    texts: list[SeedText] = []
    rejected: list[Rejected] = []
    seen: dict[str, str] = {}
    for path in seed_paths(seeds_dir):
        try:
            data = path.read_bytes()
        except OSError as err:
            rejected.append(Rejected(path.name, f"unreadable: {err.strerror}"))
            continue
        decoded = decode(path.name, data)
        if isinstance(decoded, Rejected):
            rejected.append(decoded)
            continue
        sha = hashlib.sha256(decoded.encode("utf-8")).hexdigest()
        if sha in seen:
            rejected.append(Rejected(path.name, f"same content as {seen[sha]}; indexed once, under that name"))
            continue
        seen[sha] = path.name
        texts.append(SeedText(path.name, decoded, sha))
    return texts, rejected
