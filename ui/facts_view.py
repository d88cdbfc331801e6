"""The facts table as text: CJK-aware aligned columns, JSON lines, CSV (pure functions; `gzqa facts` prints them)."""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence

from index.facts import Fact
from ui.labels import line_range

COLUMNS = (("地方", "place"), ("城市", "city"), ("年份", "year"), ("指标", "indicator"), ("数字", "figure"),
           ("数值", "value"), ("单位", "unit"), ("类型", "kind"), ("限定", "qualifier"), ("目标/实绩", "status"),
           ("出处", "source"), ("行", "lines"))
KIND_LABELS = {"amount": "总量", "rate": "增速", "count": "数量", "share": "比重"}
STATUS_LABELS = {"target": "目标", "result": "实绩"}
CSV_FIELDS = ("place", "place_kind", "city", "year", "indicator", "figure", "value", "unit", "kind", "qualifier",
              "status", "source", "line_start", "line_end", "clause")


def width(text: str) -> int:
    """Columns `text` takes in a terminal: a CJK (wide or full-width) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns."""
    return text + " " * max(0, columns - width(text))


def number(value: float) -> str:
    """1400.0 → "1400", 5.5 → "5.5"."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def cells(f: Fact) -> list[str]:
    """A fact → the words of its table row, in COLUMNS order."""
    return [f.place, f.city, str(f.year or "?"), f.indicator, f.figure, number(f.value), f.unit,
            KIND_LABELS.get(f.kind, f.kind), f.qualifier or "—", STATUS_LABELS.get(f.status, f.status), f.source,
            line_range(f.lines)]


def table(facts: Sequence[Fact]) -> str:
    """Facts → an aligned table with a header line (CJK counted double-width)."""
    rows = [[name for name, _ in COLUMNS]] + [cells(f) for f in facts]
    widths = [max(width(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows)


def json_lines(facts: Sequence[Fact]) -> str:
    """Facts → one JSON object a line (Chinese unescaped), the shape of facts.jsonl."""
    return "\n".join(json.dumps(f.to_json(), ensure_ascii=False) for f in facts)


def csv_text(facts: Sequence[Fact]) -> str:
    """Facts → CSV with a header row (UTF-8 text; the citation as source, first and last line, clause)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for f in facts:
        row = f.to_json()
        row["line_start"], row["line_end"] = f.lines
        writer.writerow([row[k] if k not in ("value",) else number(f.value) for k in CSV_FIELDS])
    return out.getvalue()
