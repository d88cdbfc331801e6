"""The data that flows out of indexing: an article, a chunk of it, a seed file that was refused.

All frozen: once built, a record is a fact about the corpus, not a thing to edit.
`line_of` is the one way a char offset in an article's text becomes a line number, and
`part_of` the one way a build's row becomes its part and its row there.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields


def part_of(starts: Sequence[int], row: int) -> tuple[int, int]:
    """A build's row → (its part, its row within that part), `starts` being each part's first row and then the
    row count (a build reads its parts' rows as one sequence, part after part)."""
    if not 0 <= row < starts[-1]:
        raise IndexError(f"row {row} of a build of {int(starts[-1])} rows")
    n = bisect_right(starts, row) - 1
    return n, row - int(starts[n])


def line_of(text: str, offset: int) -> int:
    """A text and a char offset in it → the 1-based number of the line that offset is on."""
    return text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class Clue:
    """A piece of article metadata and the source text it was inferred from."""

    value: str
    evidence: str
    line: int  # 1-based line in the raw file, 0 when the value is a default


@dataclass(frozen=True)
class Article:
    """One seed file, decoded and described.

    `text` is the decoded file with BOM removed and CRLF turned into LF: every
    char offset and line number in the index points into this text.
    """

    source: str
    text: str
    sha256: str
    title: Clue
    publisher: Clue | None
    date: Clue | None
    year: Clue | None
    city: Clue | None = None  # "广州市", "广东省" or another "XX市"

    @property
    def year_number(self) -> int | None:
        """The year the article speaks of, as a number (None: not inferred)."""
        return int(self.year.value) if self.year else None

    @property
    def date_value(self) -> str | None:
        """The meeting date as written in metadata ("2026-02-25"), or None."""
        return self.date.value if self.date else None

    @classmethod
    def from_json(cls, data: dict) -> "Article":
        """A line of articles.jsonl (`metadata()` + "text") → the article again."""
        def clue(name: str) -> Clue | None:
            value = data.get(name)
            return Clue(**value) if value else None

        return cls(data["source"], data["text"], data["sha256"], clue("title"), clue("publisher"), clue("date"),
                   clue("year"), clue("city"))

    def metadata(self) -> dict:
        """Metadata without the text, for manifests and status output."""
        out = {"source": self.source, "sha256": self.sha256}
        for name in ("title", "publisher", "date", "year", "city"):
            clue = getattr(self, name)
            out[name] = asdict(clue) if clue else None
        return out


@dataclass(frozen=True)
class Chunk:
    """A passage users read, with the exact place it came from.

    `text` equals the raw span `article.text[char_start:char_end]` with line
    breaks (and the whitespace around them) removed; lines are 1-based, inclusive.
    """

    id: str
    source: str
    section: tuple[str, ...]
    text: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int

    @property
    def section_path(self) -> str:
        """The section's headings joined for display, e.g. "白云区 › 固定资产投资"; "" for none."""
        return " › ".join(self.section)

    def to_json(self) -> dict:
        """This chunk as a JSON object (a line of chunks.jsonl)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # flat values: no `asdict` deep copy
        out["section"] = list(self.section)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Chunk":
        """A JSON object written by `to_json` → the chunk again."""
        return cls(**{**data, "section": tuple(data["section"])})


@dataclass(frozen=True)
class Rejected:
    """A seed file that could not be indexed, and why (a sentence a user can act on)."""

    source: str
    reason: str
