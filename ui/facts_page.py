"""The 指标一览 page as HTML (pure functions): the facts table, the place × indicator × year grid, the article panel.

Each row's line link opens its article in one shared panel, scrolled to the cited
lines (`FACTS_JS`); the articles are rendered once each by `ui.html.article_view`
and copied into the panel on click, so a table of hundreds of rows carries each
article once. Every piece of corpus text goes through `esc`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from index.facts import Fact
from qa.facts import GridRow
from ui.facts_view import KIND_LABELS, STATUS_LABELS
from ui.html import article_view, esc
from ui.labels import line_range


def fact_link(f: Fact, label: str | None = None) -> str:
    """A link that opens `f`'s article in the panel at its lines."""
    return (f'<a class="fact-link" href="#fact-article" data-source="{esc(f.source)}" data-first="{f.lines[0]}" '
            f'data-last="{f.lines[1]}" title="{esc(f.clause)}">{esc(label or line_range(f.lines))}</a>')


def facts_table(facts: Sequence[Fact]) -> str:
    """The filtered facts, one row each, every row cited and linked to its passage."""
    if not facts:
        return '<p class="hint">没有符合条件的数字——放宽筛选试试。</p>'
    head = "".join(f"<th>{h}</th>" for h in ("地方", "年份", "指标", "数字", "类型", "目标/实绩", "原文", "出处"))
    rows = []
    for f in facts:
        place = f.place if f.city in (f.place, "广州市") else f"{f.city}{f.place}"
        rows.append(f'<tr data-place="{esc(f.place)}" data-year="{f.year or ""}">'
                    f'<td>{esc(place)}</td><td>{esc(f.year or "?")}</td><td>{esc(f.indicator)}</td>'
                    f'<td class="figure"><mark class="figure">{esc(f.figure)}</mark></td>'
                    f'<td>{esc(KIND_LABELS.get(f.kind, f.kind))}</td><td>{esc(STATUS_LABELS.get(f.status, f.status))}</td>'
                    f'<td class="clause">{esc(f.clause)}</td>'
                    f'<td class="where">{esc(f.source)}<br>{fact_link(f)}</td></tr>')
    return (f'<p class="count">{len(facts)} 条</p><div class="table-wrap"><table class="facts-table">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def comparison(years: Sequence[int], grid: Sequence[GridRow]) -> str:
    """Place × indicator with one column per year; a cell the corpus says nothing for stays empty."""
    if not grid:
        return '<p class="hint">没有可对比的数字。</p>'
    head = "".join(f"<th>{y}年</th>" for y in years)
    rows = []
    for r in grid:
        cells = "".join(f'<td class="cell" data-year="{y}">{fact_link(c, c.figure)}</td>' if c else
                        f'<td class="cell empty" data-year="{y}" title="语料中没有这一年的数字">—</td>'
                        for y, c in zip(years, r.cells))
        place = r.place if r.city in (r.place, "广州市") else f"{r.city}{r.place}"
        rows.append(f'<tr><td>{esc(place)}</td><td>{esc(r.indicator)}</td>'
                    f'<td>{esc(KIND_LABELS.get(r.kind, r.kind))}</td>{cells}</tr>')
    return (f'<div class="table-wrap"><table class="facts-grid"><thead><tr><th>地方</th><th>指标</th><th>类型</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def articles_for_links(texts: Mapping[str, str]) -> str:
    """Each linked article rendered once (hidden), for the panel to show; and the panel itself."""
    hidden = "".join(f'<div class="fact-source" data-source="{esc(source)}" hidden>{article_view(text, (0, 0))}</div>'
                     for source, text in sorted(texts.items()))
    return (f'<div class="fact-sources" hidden>{hidden}</div>'
            '<section id="fact-article" class="fact-article"><div class="label">原文</div>'
            '<p class="hint">点表格里的行号，在这里查看原文，引用的行会标出。</p></section>')


def page(facts: Sequence[Fact], years: Sequence[int], grid: Sequence[GridRow], texts: Mapping[str, str]) -> str:
    """The whole result area of the 指标一览 tab: comparison view, table, article panel."""
    return (f'<div class="gzqa facts-page"><h3>按年份对比</h3>{comparison(years, grid)}'
            f'<h3>指标明细</h3>{facts_table(facts)}{articles_for_links(texts)}</div>')


# A click on a line link copies that article's view into the panel, marks the cited lines and scrolls the
# panel's own box (as the citation cards' views do) so the first cited line sits a third of the way down.
FACTS_JS = """
element.addEventListener('click', (event) => {
  const link = event.target.closest('a.fact-link');
  if (!link) return;
  event.preventDefault();
  const root = link.closest('.facts-page');
  const source = [...root.querySelectorAll('.fact-source')].find((s) => s.dataset.source === link.dataset.source);
  const panel = root.querySelector('#fact-article');
  if (!source || !panel) return;
  const first = Number(link.dataset.first), last = Number(link.dataset.last);
  panel.innerHTML = '';
  const label = document.createElement('div');
  label.className = 'label';
  label.textContent = `原文 · ${link.dataset.source} · 第${first}${last !== first ? '–' + last : ''}行`;
  panel.appendChild(label);
  const view = source.firstElementChild.cloneNode(true);
  panel.appendChild(view);
  panel.dataset.source = link.dataset.source;
  view.querySelectorAll('.line').forEach((line) => {
    const n = Number(line.dataset.ln);
    line.classList.toggle('cited', n >= first && n <= last);
  });
  panel.scrollIntoView({block: 'start'});
  const cited = view.querySelector('.line.cited');
  if (cited) view.scrollTop = cited.offsetTop - view.clientHeight / 3;
});
"""

CSS = """
.gzqa table.facts-table, .gzqa table.facts-grid { width: 100%; border-collapse: collapse; font-size: 14px; }
.gzqa table.facts-table th, .gzqa table.facts-table td, .gzqa table.facts-grid th, .gzqa table.facts-grid td {
  text-align: left; vertical-align: top; padding: 5px 8px; border: 0;
  border-bottom: 1px solid var(--border-color-primary); background: none; }
.gzqa table.facts-table td.clause { font-size: 13px; opacity: 0.8; min-width: 16em; }
.gzqa table.facts-table td:nth-child(-n+6), .gzqa table.facts-grid td:nth-child(-n+3),
.gzqa table.facts-grid td.cell { white-space: nowrap; }
.gzqa table.facts-table td.where { font-size: 12px; word-break: break-all; }
.gzqa table.facts-grid td.cell.empty { opacity: 0.4; }
.gzqa a.fact-link { color: #2563eb; cursor: pointer; }
.gzqa .fact-article { margin-top: 12px; }
.gzqa .count { font-size: 13px; opacity: 0.7; }
.gzqa table.compare { border-collapse: collapse; margin: 6px 0; font-size: 15px; }
.gzqa table.compare td { padding: 2px 10px 2px 0; border: 0; background: none; }
.gzqa .computed { font-size: 14px; }
"""
