"""Pure functions that render answers, index status and eval reports as terminal text."""
from __future__ import annotations

from qa.answer import Answer
from ui.labels import line_range, year_label

BOLD_YELLOW, DIM, RESET = "\033[1;33m", "\033[2m", "\033[0m"


def mark(text: str, figure: str | None, color: bool) -> str:
    """`text` with the first occurrence of `figure` highlighted (ANSI on a terminal, 【】 otherwise)."""
    if not figure or figure not in text:
        return text
    left, right = (BOLD_YELLOW, RESET) if color else ("【", "】")
    return text.replace(figure, f"{left}{figure}{right}", 1)


def answer_text(answer: Answer, color: bool = False) -> str:
    """An Answer → the answer line (or "未找到"), its note, then each numbered citation with source and lines."""
    lines = []
    if answer.answered:
        sure = f"  (置信度 {answer.confidence:.0%})" if answer.confidence is not None else ""
        lines.append(f"答案: {mark(answer.text, answer.figure, color)}  [{answer.citation}]{sure}")
    else:
        lines.append("未找到: 语料没有直接回答这个问题。")
    lines += comparison_lines(answer)
    if answer.note:
        lines.append(f"说明: {answer.note}")
    if not answer.answered and answer.nearest:
        near = answer.nearest
        cited = f" [{near.citation}]" if near.citation else ""
        lines.append(f"最接近的说法: {near.text}{cited}（未采用：{near.reason}；置信度 {near.confidence:.0%}）")
    for c in answer.citations:
        label = "" if c.year_ok else "  (其他年份)"
        date = f" {c.date}" if c.date else ""
        lines.append("")
        lines.append(f"[{c.n}] {c.title} · {year_label(c.year)}{date}{label}")
        lines.append(f"    {c.source} {line_range(c.lines)}" + (f" · {c.section}" if c.section else ""))
        body = mark(c.text, answer.figure, color) if answer.answered and c.n == answer.citation else c.text
        lines.append(f"    {body}")
    return "\n".join(lines)


def comparison_lines(answer: Answer) -> list[str]:
    """A comparison's or ranking's rows, each with its citation number, then the computed arithmetic."""
    lines = []
    for row in answer.table:
        rank = f"{row.rank}. " if row.rank else "- "
        figure = row.figure or "（语料中没有）"
        cite = f"  [{row.citation}]" if row.citation else ""
        lines.append(f"  {rank}{row.label}: {figure}{cite}")
    if answer.computed:
        lines.append(f"计算: {answer.computed}")
    return lines


def question_engine(status: dict) -> str:
    """What a server's questions go through (`index.status`), else the engine the index was built for."""
    return status.get("question_engine") or status["model"].get("query_engine", "")


def status_text(status: dict) -> str:
    """`index.status.status` output → a report: build facts, one line per article with its evidence, freshness."""
    lines = [f"index: {status['path']}", f"built: {status['built_at']}",
             f"model: {status['model']['name']} (query engine: {question_engine(status)})",
             f"articles: {status['counts']['articles']}  chunks: {status['counts']['chunks']}"]
    if len(status.get("parts") or ()) > 1:  # a base and a recent part (index.store)
        lines.append("parts: " + ", ".join(f"{'base' if p['folder'] == '.' else p['folder']} {p['articles']} articles "
                                           f"/ {p['chunks']} chunks" for p in status["parts"]))
    backend = status.get("backend") or {}
    if backend.get("collection"):
        lines.append(f"backend: milvus at {backend['uri']}, collection {backend['collection']} "
                     f"(alias {backend['alias']})")
    lines.append("")
    for a in status["articles"]:
        year, date, city = ((a.get(k) or {}).get("value", "?") for k in ("year", "date", "city"))
        lines.append(f"{a['source']}  {year}  {date}  {city}  {a['chunks']} chunks  {a['title']['value'][:40]}")
        for name in ("year", "city"):
            if a.get(name):
                lines.append(f"    {name} evidence (line {a[name]['line']}): {a[name]['evidence']}")
    for r in status["rejected"]:
        lines.append(f"refused: {r['source']}: {r['reason']}")
    changes = status["seeds_changed"]
    if any(changes.values()):
        parts = [f"{k}: {', '.join(v)}" for k, v in changes.items() if v]
        lines.append("seeds changed since build — run 'gzqa index update' (" + "; ".join(parts) + ")")
    else:
        lines.append("seeds unchanged since build")
    pipeline = status["pipeline"]
    if pipeline["stale"]:
        lines.append(f"index out of date: built by pipeline ({pipeline['index'] or 'unversioned'}), this gzqa runs "
                     f"({pipeline['current']}) — run 'gzqa index update'")
    return "\n".join(lines)


def eval_text(summary: dict) -> str:
    """`qa.evaluate` summary → the headline metrics on one line, then per-type scores and each miss."""
    keys = ("questions", "recall@50", "hit@1", "hit@5", "answer@1", "figure@1", "abstention", "false_abstention",
            "answered_wrong", "citation_validity")
    lines = ["  ".join(f"{k}={summary[k]}" for k in keys)]
    for kind, row in summary["by_type"].items():
        lines.append(f"  {kind:22s} {row['ok']}/{row['n']}")
    for miss in summary["misses"]:
        got = miss["answer"] if miss["answered"] else "(not answered)"
        lines.append(f"  miss {miss['id']}: {miss['question']} → {got} (expected {miss['expected'] or 'not found'})")
    return "\n".join(lines)
