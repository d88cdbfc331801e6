"""Blocks → chunks: sentence-packed passages that never straddle a section, with exact spans.

A section is the run of paragraphs under one heading path (one district's or one
bureau's statement). Sentences (。！？；) are packed up to `target` chars; a
sentence longer than `limit` is cut at clause marks (，、：). A chunk also stops
at a caption or byline, so its raw span holds only the text it shows; a caption's statement,
without its photo credit, is a passage of its own (index.clean.caption_statement).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.clean import Block, blocks, caption_statement, heading_title
from index.records import Chunk, line_of

SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+['\"”’」』）)]*|$)")
CLAUSE = re.compile(r"[^，,、：:]*(?:[，,、：:]|$)")
# Bump when packing changes: part of the pipeline version an index is checked against. 2: captions' statements.
VERSION = "2"


@dataclass(frozen=True)
class ChunkSizes:
    """Packing sizes in characters (see README: chosen on the dev set)."""

    target: int = 200
    limit: int = 300
    min_tail: int = 60


def quote(text: str, start: int, end: int) -> str:
    """The raw span as a reader sees it quoted: line breaks and the blanks around them removed."""
    parts = text[start:end].split("\n")
    if len(parts) == 1:
        return parts[0]
    return parts[0].rstrip() + "".join(p.strip() for p in parts[1:-1]) + parts[-1].lstrip()


def sentences(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`; over-long sentences cut at clause marks."""
    out = []
    for m in SENTENCE.finditer(text):
        if m.start() == m.end():
            continue
        if m.end() - m.start() <= limit:
            out.append((m.start(), m.end()))
            continue
        start = m.start()
        for c in CLAUSE.finditer(text, m.start(), m.end()):
            if c.end() - start > limit and c.start() > start:
                out.append((start, c.start()))
                start = c.start()
        if m.end() > start:
            out.append((start, m.end()))
    return out


def pack(spans: list[tuple[int, int]], sizes: ChunkSizes) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into chunk spans of about `sizes.target` chars."""
    groups: list[list[tuple[int, int]]] = []
    for span in spans:
        if groups and span[1] - groups[-1][0][0] <= sizes.target:
            groups[-1].append(span)
        else:
            groups.append([span])
    if len(groups) > 1 and groups[-1][-1][1] - groups[-1][0][0] < sizes.min_tail \
            and groups[-1][-1][1] - groups[-2][0][0] <= sizes.limit:
        groups[-2].extend(groups.pop())
    return [(g[0][0], g[-1][1]) for g in groups]


def sections(found: list[Block], captions: bool = True) -> list[tuple[tuple[str, ...], list[Block]]]:
    """Blocks → (heading path, its text blocks) per section that has text; the title is not in the path.

    A caption's statement (`index.clean.caption_statement`) is a text block of the section it sits in, when
    `captions`; the facts table leaves captions out (a caption's figure has no sentence around it to tell a
    target from a result). Bylines are left out; neither breaks a run of bare headlines.
    """
    out: list[tuple[tuple[str, ...], list[Block]]] = []
    path: list[tuple[int, str]] = []
    last_kind = ""
    for b in found:
        if b.kind == "heading":
            title = heading_title(b.text)
            if b.level == 1:
                path = []
            elif b.text.startswith("#"):
                path = [p for p in path if p[0] < b.level] + [(b.level, title)]
            else:  # bare headlines: consecutive ones form one path
                path = path + [(b.level, title)] if last_kind == "heading" else [(b.level, title)]
            out.append((tuple(t for _, t in path), []))
        elif b.kind == "text" or (captions and b.kind == "caption" and (said := caption_statement(b)) is not None):
            if not out:
                out.append(((), []))
            out[-1][1].append(b if b.kind == "text" else said)  # a caption's statement is a passage of its own
        if b.kind != "byline" and b.kind != "caption":
            last_kind = b.kind
    return [(p, bs) for p, bs in out if bs]


def chunk_article(source: str, text: str, sizes: ChunkSizes = ChunkSizes()) -> list[Chunk]:
    """An article's text → its chunks, in reading order."""
    chunks: list[Chunk] = []
    for path, section_blocks in sections(blocks(text)):
        for b in section_blocks:
            for start, end in pack(sentences(b.text, sizes.limit), sizes):
                piece = b.text[start:end]
                start += len(piece) - len(piece.lstrip())
                end -= len(piece) - len(piece.rstrip())
                if start >= end:
                    continue
                raw_start, raw_end = b.raw_offset(start), b.raw_offset(end, is_end=True)
                chunks.append(Chunk(
                    id=f"{source}#{len(chunks)}", source=source, section=path,
                    text=quote(text, raw_start, raw_end),
                    line_start=line_of(text, raw_start), line_end=line_of(text, raw_end),
                    char_start=raw_start, char_end=raw_end))
    return chunks


def indexed_text(chunk: Chunk) -> str:
    """What retrieval sees of a chunk: its section path, then its text."""
    return f"{chunk.section_path}\n{chunk.text}" if chunk.section else chunk.text
