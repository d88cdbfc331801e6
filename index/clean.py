"""Raw article text → structural blocks (headings, paragraphs, captions, bylines) with spans.

OCR damage is repaired by joining, never by rewriting: a paragraph that stops
mid-sentence is joined with the paragraph after it (blank lines between are
the damage). A caption or byline in between stops the join, so that a block's
raw span never hides text it does not show. A block keeps the raw spans of its
pieces, so any offset in its text maps back to the raw file.

Headings: markdown `#` lines when the article has them; otherwise short lines
with no sentence punctuation (bare headline lines, as in scanned newspapers).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

HEADING_MD = re.compile(r"^(#{1,6})\s*(.*?)\s*$")
CAPTION = re.compile(r"(摄|供图|社发|图源[^。]*)\s*[）)]?\s*$")
BYLINE = re.compile(r"记者|通讯员|统筹|采写|编辑|摄影")
SENTENCE_END = re.compile(r"[。！？!?；;…]['\"”’」』）)*]*\s*$")
BARE_HEADING_MAX = 60
TEXTS_KEPT = 4  # articles whose blocks are remembered: describing, chunking and facts each ask for them in turn
# Bump when the rules change: part of the pipeline version an index is checked against. 2: captions' statements.
VERSION = "2"
# A caption's photo credit: the words after its statement that name who took or gave the picture ("羊城晚报记者
# 宋金峪 摄", "（…记者周巍、蔡嘉鸿摄）", "新华社发", "广州塔供图"). A word with one of these marks is credit;
# so is a name beside it (`CREDIT_NAME`).
CREDIT_MARK = re.compile(r"记者|通讯员|摄影|摄|供图|社发|图源|视觉中国|新华社|中新社")
NAME_MAX = 4  # characters of a Chinese name or an outlet's short name ("宋金峪", "广州塔")
CREDIT_NAME = re.compile(rf"[\u4e00-\u9fff·]{{2,{NAME_MAX}}}|[A-Za-z][A-Za-z.-]*")
# A credit glued to its statement: an outlet or a reporter, names, then 摄 / 供图 / 发, at the word's end
GLUED_CREDIT = re.compile(r"(?:(?:新华社|中新社|视觉中国|[\u4e00-\u9fff]{2,6}(?:记者|通讯员))[\u4e00-\u9fff、·/]{0,10}?)?"
                          r"(?:摄|供图|社?发)$")
BRACKETED_CREDIT = re.compile(r"[（(][^（(）)]*[）)]\s*$")  # "（羊城晚报记者周巍、蔡嘉鸿摄）" ends the line
CAPTION_MARKS = "■□●○◆◇▲△▼▽★☆·•"  # bullets a caption opens with
CAPTION_MIN = 6  # word characters a caption's statement needs to be one ("■会场 新华社发" states nothing)


@dataclass(frozen=True)
class Block:
    """A structural unit; `text` is the raw pieces in `spans` concatenated."""

    kind: str  # "heading" | "text" | "caption" | "byline"
    text: str
    spans: tuple[tuple[int, int], ...]
    level: int = 0  # heading depth: 1 is the article title

    def raw_offset(self, i: int, is_end: bool = False) -> int:
        """Offset `i` in `text` → offset in the raw article.

        At a boundary between two pieces a start maps to the next piece, an end to the previous one.
        """
        for start, end in self.spans:
            if i < end - start or (is_end and i == end - start):
                return start + i
            i -= end - start
        if i == 0:
            return self.spans[-1][1]
        raise ValueError("offset beyond block text")


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """(offset of the stripped content, stripped content) for each non-blank line."""
    out, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            out.append((pos + line.index(stripped[0]), stripped))
        pos += len(line) + 1
    return out


def classify(line: str, bare_headings: bool) -> tuple[str, int]:
    """One stripped line → (kind, heading level)."""
    md = HEADING_MD.match(line)
    if md:
        return "heading", len(md.group(1))
    if len(line) <= 100 and CAPTION.search(line) and not SENTENCE_END.search(line.rstrip("）)")):
        return "caption", 0
    if len(line) <= 80 and BYLINE.search(line) and not re.search("[。！？]", line):
        return "byline", 0
    if (bare_headings and len(line) <= BARE_HEADING_MAX and not re.search("[。！？；;]", line)
            and not re.search(r"[，,、：:（(“]$", line)):
        return "heading", 3
    return "text", 0


def caption_statement(caption: Block) -> Block | None:
    """What a caption states, without its bullet and photo credit, as a text block (None: it states nothing).

    A caption is often the one place a fact is said: "广东省高质量发展大会在深圳召开（羊城晚报记者周巍、蔡嘉鸿摄）"
    is where the provincial meeting was held.
    """
    text = caption.text
    start = re.match(rf"[{CAPTION_MARKS}\s]*", text).end()
    said = text[start:credit_start(text, start)].rstrip(" \u3000，,、/")
    if len(re.findall(r"\w", said)) < CAPTION_MIN:
        return None
    at = caption.spans[0][0] + start
    return Block("text", said, ((at, at + len(said)),))


def credit_start(text: str, start: int = 0) -> int:
    """Where the photo credit at the end of a caption begins (len(text): none).

    A bracket closing the line that holds a credit mark is the credit; otherwise the words from the end back
    that hold a mark, or are a name beside one ("新华社记者 李四 摄"); a word that holds both the statement and
    the credit is cut after its last 。 or where the glued credit begins ("…在深圳召开新华社发").
    """
    bracket = BRACKETED_CREDIT.search(text, start)
    if bracket and CREDIT_MARK.search(bracket.group()):
        return bracket.start()
    at, marked = len(text), False
    for word in reversed(list(re.finditer(r"\S+", text[start:]))):
        w = word.group()
        if CREDIT_MARK.search(w):
            glued = (w.rindex("。") + 1 if "。" in w[:-1]
                     else m.start() if (m := GLUED_CREDIT.search(w)) and m.start() > NAME_MAX else 0)  # "广州塔供图"
            at, marked = start + word.start() + glued, True
            if glued:
                break
        elif marked and CREDIT_NAME.fullmatch(w):
            at = start + word.start()
        else:
            break
    return at


def heading_title(line: str) -> str:
    """The words of a heading line, without markdown marks."""
    return HEADING_MD.sub(r"\2", line).strip("*# ").strip()


def blocks(text: str) -> list[Block]:
    """Article text → blocks in reading order, broken paragraphs joined (a new list; the blocks are made once
    for the last few texts)."""
    return list(_blocks(text))


@lru_cache(maxsize=TEXTS_KEPT)
def _blocks(text: str) -> tuple[Block, ...]:
    """`blocks`, remembered."""
    lines = lines_with_offsets(text)
    bare = not any(HEADING_MD.match(line) for _, line in lines)
    raw: list[Block] = []
    for offset, line in lines:
        kind, level = classify(line, bare)
        raw.append(Block(kind, line, ((offset, offset + len(line)),), level))
    if bare:  # the first headline of a scanned page is its title
        for i, b in enumerate(raw):
            if b.kind == "heading":
                raw[i] = Block("heading", b.text, b.spans, 1)
                break
    out: list[Block] = []
    for b in raw:
        last = out[-1] if out else None
        if (b.kind == "text" and last is not None and last.kind == "text"
                and not SENTENCE_END.search(last.text)):
            out[-1] = Block("text", last.text + b.text, last.spans + b.spans)
        else:
            out.append(b)
    return tuple(out)
