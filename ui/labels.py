"""The Chinese words both front ends use for a citation's place and year (plain text: `ui.html` escapes them)."""
from __future__ import annotations


def year_label(year: int | None) -> str:
    """A year, or None when unknown → "2026年" / "年份不明"."""
    return f"{year}年" if year else "年份不明"


def line_range(lines: tuple[int, int]) -> str:
    """(first, last) line, 1-based and inclusive → "第59行" for one line, "第59–61行" for several."""
    return f"第{lines[0]}行" if lines[0] == lines[1] else f"第{lines[0]}–{lines[1]}行"
