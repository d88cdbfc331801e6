"""Pure functions that render answers, citations, whole articles and index status as HTML for the web UI.

Every piece of corpus or user text goes through `esc` (or `marked`, which
escapes around its marks): articles are untrusted input, and a `<script>` or an
`onerror=` in one must show as text. No gradio here; `ui.web` puts the strings
on the page, `CSS` and `ARTICLE_JS` style them and scroll the article views.
"""
from __future__ import annotations

import html
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from qa.answer import Answer, Citation
from ui.labels import line_range, year_label

if TYPE_CHECKING:
    from index.build import BuildReport

CJK_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", '
             '"Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif')


def esc(text: object) -> str:
    """Text → HTML text (quotes too, so the result is also safe inside an attribute)."""
    return html.escape("" if text is None else str(text), quote=True)


def marked(text: str, phrase: str | None = None, figure: str | None = None) -> str:
    """Escaped `text` with `phrase` marked as the answer and `figure` (within the phrase if there) emphasised."""
    start = text.find(phrase) if phrase else -1
    end = start + len(phrase) if start >= 0 else -1
    at = -1
    if figure:  # the figure inside the answer, not an equal number elsewhere in the passage
        at = text.find(figure, start, end) if start >= 0 else -1
        at = text.find(figure) if at < 0 else at
    cuts = sorted({0, len(text)} | ({start, end} if start >= 0 else set())
                  | ({at, at + len(figure)} if at >= 0 else set()))
    out = []
    for left, right in zip(cuts, cuts[1:]):
        piece = esc(text[left:right])
        if at >= 0 and at <= left and right <= at + len(figure):
            piece = f'<mark class="figure">{piece}</mark>'
        if start >= 0 and start <= left and right <= end:
            piece = f'<mark class="answer">{piece}</mark>'
        out.append(piece)
    return "".join(out)


def problem(title: str, message: str, hint: str = "") -> str:
    """A card for what stopped an answer or an update (bad question, no index), with the fix."""
    extra = f'<p class="hint">{esc(hint)}</p>' if hint else ""
    return (f'<div class="gzqa"><section class="card problem" role="alert"><div class="label">{esc(title)}</div>'
            f'<p>{esc(message)}</p>{extra}</section></div>')


def masthead() -> str:
    """The page header: the app's name and what its answers are."""
    return ('<header class="gzqa masthead"><h1>广州高质量发展问答</h1>'
            '<p>答案逐字出自已索引的新闻报道，并标明出处；找不到时如实说明。</p></header>')


def placeholder() -> str:
    """The result area before the first question: what to do and where answers come from."""
    return ('<div class="gzqa"><section class="card empty"><p>输入问题，或点一个示例问题。答案只来自已索引的文章，'
            '每个答案都附有可核对的出处。</p></section></div>')


def answer_card(answer: Answer) -> str:
    """The answer sentence with its figure marked and its citation, or the not-found note."""
    note = f'<p class="note">{esc(answer.note)}</p>' if answer.note else ""
    table = compared(answer)
    if answer.table and not answer.answered:
        return (f'<section class="card not-found"><div class="label">无法比较</div>{table}'
                f'<p class="note">{esc(answer.note)}</p></section>')
    if answer.table:
        return (f'<section class="card answered compared"><div class="label">答案（由引用的数字计算）</div>'
                f'<p class="answer-text">{marked(answer.text or "", figure=answer.figure)}</p>{table}{note}</section>')
    if answer.answered:
        cited = next((c for c in answer.citations if c.n == answer.citation), None)
        source = (f'<p class="from">出自 <a href="#cite-{cited.n}">[{cited.n}]</a> {esc(cited.title)} · '
                  f'{esc(year_label(cited.year))} · {esc(cited.source)} {line_range(cited.lines)}</p>'
                  if cited else "")
        sure = (f'<p class="from">置信度 {answer.confidence:.0%}</p>' if answer.confidence is not None else "")
        return (f'<section class="card answered"><div class="label">答案</div>'
                f'<p class="answer-text">{marked(answer.text or "", figure=answer.figure)}</p>'
                f'{source}{sure}{note}</section>')
    other = any(not c.year_ok for c in answer.citations)
    shown = ("下面是最接近的段落；标有“其他年份”的段落来自别的年份，不是所问年份的答案。" if other
             else "下面是最接近的段落，仅供参考。" if answer.citations else "")
    near = answer.nearest
    closest = (f'<p class="note nearest">最接近的说法：“{esc(near.text)}”'
               + (f' <a href="#cite-{near.citation}">[{near.citation}]</a>' if near.citation else "")
               + f'（未采用：{esc(near.reason)}；置信度 {near.confidence:.0%}）</p>' if near else "")
    return (f'<section class="card not-found"><div class="label">未找到</div>'
            f'<p class="answer-text">语料没有直接回答这个问题。</p>{note}{closest}'
            + (f'<p class="hint">{shown}</p>' if shown else "") + "</section>")


def compared(answer: Answer) -> str:
    """A comparison's or ranking's rows, each figure with its citation link, and the arithmetic labelled as computed."""
    if not answer.table:
        return ""
    rows = "".join(
        f'<tr class="row"><td>{f"{r.rank}." if r.rank else ""}</td><td>{esc(r.label)}</td>'
        f'<td>{f"<mark class=figure>{esc(r.figure)}</mark>" if r.figure else "语料中没有"}</td>'
        f'<td>{f"<a href=#cite-{r.citation}>[{r.citation}]</a>" if r.citation else ""}</td></tr>' for r in answer.table)
    computed = f'<p class="computed">计算：{esc(answer.computed)}</p>' if answer.computed else ""
    return f'<table class="compare">{rows}</table>{computed}'


def article_view(text: str, lines: tuple[int, int], figure: str | None = None) -> str:
    """The whole article, numbered by line, the cited lines marked (`ARTICLE_JS` scrolls to them)."""
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        cited = lines[0] <= number <= lines[1]
        body = marked(line, figure=figure) if cited and figure else esc(line)
        classes = "line" + (" cited" if cited else "") + ("" if line.strip() else " blank")
        rows.append(f'<div class="{classes}" data-ln="{number}"><span class="ln" aria-hidden="true">{number}</span>'
                    f'<span class="tx">{body}</span></div>')
    return f'<div class="article-view" data-first="{lines[0]}">{"".join(rows)}</div>'


ARTICLE_PATH = "gzqa/article"  # relative to the page: the server's article view (`ui.server`)


def article_link(c: Citation, figure: str | None) -> str:
    """The URL the web page fetches a citation's whole article from when its view is opened."""
    query = {"source": c.source, "first": c.lines[0], "last": c.lines[1]}
    return f"{ARTICLE_PATH}?{urlencode({**query, 'figure': figure} if figure else query)}"


def citation_card(c: Citation, answer: Answer, article_text: str | None, lazy: bool = False) -> str:
    """One numbered passage: where it is from, its year (labelled when not the asked one), the whole article.

    `lazy`: the article is not in the page but fetched when its view is opened (`ARTICLE_JS`), so an
    answer carries no article text at all (k = 20 citations of one article were 891 KB inline).
    """
    answering = answer.answered and c.n == answer.citation
    row = next((r for r in answer.table if r.citation == c.n), None)
    if row is not None:  # a comparison: each citation holds one compared figure
        answer = replace(answer, answered=True, text=None, figure=row.figure, citation=c.n)
        answering = True
    badges = f'<span class="badge year">{esc(year_label(c.year))}</span>'
    if not c.year_ok:
        badges += '<span class="badge other-year">其他年份</span>'
    where = " · ".join(esc(x) for x in (c.source, line_range(c.lines), c.section, c.date) if x)
    passage = marked(c.text, answer.text, answer.figure) if answering else esc(c.text)
    article = ""
    if lazy:
        article = (f'<details class="article" data-src="{esc(article_link(c, answer.figure if answering else None))}">'
                   f'<summary>查看全文（定位到{line_range(c.lines)}）</summary>'
                   f'<div class="article-view pending" data-first="{c.lines[0]}">正在载入全文…</div></details>')
    elif article_text is not None:
        article = (f'<details class="article"><summary>查看全文（定位到{line_range(c.lines)}）</summary>'
                   f'{article_view(article_text, c.lines, answer.figure if answering else None)}</details>')
    classes = "citation" + (" answering" if answering else "") + ("" if c.year_ok else " other")
    return (f'<li class="{classes}" id="cite-{c.n}" data-source="{esc(c.source)}">'
            f'<div class="head"><span class="n">[{c.n}]</span><span class="title">{esc(c.title)}</span>{badges}</div>'
            f'<div class="where">{where}</div><blockquote class="passage">{passage}</blockquote>{article}</li>')


def result(answer: Answer, articles: dict[str, str], lazy: bool = False) -> str:
    """Answer card and numbered citations; `articles` maps source → full text from the same build
    (`lazy`: none, each article view fetches its article when opened)."""
    cards = "".join(citation_card(c, answer, articles.get(c.source), lazy) for c in answer.citations)
    listing = f'<h3 class="cites-title">出处</h3><ol class="citations">{cards}</ol>' if cards else ""
    return f'<div class="gzqa" data-question="{esc(answer.question)}">{answer_card(answer)}{listing}</div>'


def when(built_at: str | None) -> str:
    """"2026-11-23T02:34:05+0000" → "2026-11-23 02:34:05"."""
    return (built_at or "?").replace("T", " ")[:19]


def status_panel(status: dict) -> str:
    """The index at a glance: model, build time, counts, each article with its inferred year and why."""
    model = status["model"]
    counts = status["counts"]
    facts = (("模型", f"{model.get('name')}（提问编码：{status.get('question_engine') or model.get('query_engine')}）"), ("构建时间", when(status["built_at"])),
             ("文章", counts.get("articles")), ("段落", counts.get("chunks")))
    dl = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    rows = []
    for a in status["articles"]:
        year, date = a.get("year"), a.get("date")
        evidence = (f'<div class="evidence">依据第{year["line"]}行：{esc(year["evidence"])}</div>' if year else "")
        rows.append(f'<tr><td class="title">{esc(a["title"]["value"])}<div class="file">{esc(a["source"])}</div></td>'
                    f'<td class="date">{esc(date["value"]) if date else "—"}</td>'
                    f'<td>{esc(year["value"]) if year else "不明"}{evidence}</td>'
                    f'<td>{esc((a.get("city") or {}).get("value") or "—")}</td>'
                    f'<td class="num">{esc(a.get("chunks"))}</td></tr>')
    table = ('<div class="table-wrap"><table class="articles"><thead><tr><th>文章</th><th>日期</th>'
             '<th>推断年份</th><th>城市/省</th><th class="num">段落</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    refused = "".join(f"<li>{esc(r['source'])}：{esc(r['reason'])}</li>" for r in status.get("rejected", []))
    refused = f'<div class="refused"><h4>未收录的文件</h4><ul>{refused}</ul></div>' if refused else ""
    changes = status.get("seeds_changed") or {}
    labels = {"added": "新增", "changed": "已修改", "removed": "已删除"}
    changed = "；".join(f"{labels[k]}：{'、'.join(v)}" for k, v in changes.items() if v and k in labels)
    stale = (status.get("pipeline") or {}).get("stale")
    fresh = (f'<p class="warn">文章目录在构建后有变化（{esc(changed)}）——点“更新索引”。</p>' if changed
             else '<p class="warn">索引由旧版处理规则构建——点“更新索引”。</p>' if stale
             else '<p class="ok">索引与文章目录一致。</p>')
    return f'<section class="gzqa index-status"><dl class="facts">{dl}</dl>{fresh}{table}{refused}</section>'


def build_summary(report: BuildReport) -> str:
    """A BuildReport as the closing line(s) of the progress log."""
    if report.up_to_date:
        head = f"索引已是最新：{report.articles} 篇文章，{report.chunks} 个段落。"
    else:
        head = (f"索引已更新（{report.seconds:.1f} 秒）：{report.articles} 篇文章，{report.chunks} 个段落；"
                f"新计算向量 {report.embedded} 个，复用 {report.reused} 个。")
    lines = [head]
    for label, names in (("新增", report.added), ("修改", report.changed), ("删除", report.removed)):
        if names:
            lines.append(f"  {label}：{'、'.join(names)}")
    lines += [f"  未收录 {r.source}：{r.reason}" for r in report.rejected]
    return "\n".join(lines)


# Opening an article view scrolls its own box (not the page) so the first cited line sits a third of the way
# down. `toggle` does not bubble, hence the capturing listener on the component's root, which survives re-renders.
# A lazy view (`data-src`) is fetched on first opening and replaces its placeholder; the server escapes it.
ARTICLE_JS = """
const scrollToCited = (view) => {
  const first = view && view.querySelector('.line.cited');
  if (!first) return;
  view.scrollTop = first.offsetTop - view.clientHeight / 3;
  view.scrollIntoView({block: 'nearest'});
};
element.addEventListener('toggle', (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const pending = details.querySelector('.article-view.pending');
  if (pending && details.dataset.src && !details.dataset.loading) {
    details.dataset.loading = '1';
    fetch(details.dataset.src, {credentials: 'same-origin'})
      .then((r) => r.ok ? r.text() : Promise.reject(r.status))
      .then((html) => { pending.outerHTML = html; scrollToCited(details.querySelector('.article-view')); })
      .catch((status) => { pending.textContent = '全文载入失败（' + status + '），请重新提问后再试。';
                           delete details.dataset.loading; });
    return;
  }
  scrollToCited(details.querySelector('.article-view'));
}, true);
"""

CSS = f"""
.gradio-container {{ font-family: {CJK_FONTS}; }}
.gzqa {{ font-family: {CJK_FONTS}; line-height: 1.8; font-size: 16px; color: var(--body-text-color); }}
.gzqa p {{ margin: 0.3em 0; }}
.gzqa.masthead h1 {{ margin: 0; font-size: 24px; }}
.gzqa.masthead p {{ margin: 0; opacity: 0.75; }}
.gzqa .card {{ border-radius: 10px; padding: 14px 18px; margin: 8px 0 14px;
  border: 1px solid var(--border-color-primary); }}
.gzqa .card .label {{ font-size: 13px; font-weight: 600; letter-spacing: 0.1em; opacity: 0.75; }}
.gzqa .card.answered {{ border-left: 5px solid #16a34a; background: rgba(22, 163, 74, 0.06); }}
.gzqa .card.not-found {{ border-left: 5px solid #d97706; background: rgba(217, 119, 6, 0.07); }}
.gzqa .card.problem {{ border-left: 5px solid #dc2626; background: rgba(220, 38, 38, 0.06); }}
.gzqa .card.empty {{ opacity: 0.8; }}
.gzqa .answer-text {{ font-size: 20px; font-weight: 500; }}
.gzqa .note, .gzqa .hint, .gzqa .from {{ font-size: 14px; opacity: 0.85; }}
.gzqa mark {{ color: inherit; padding: 0 1px; border-radius: 3px; }}
.gzqa mark.answer {{ background: rgba(250, 204, 21, 0.35); }}
.gzqa mark.figure {{ background: #facc15; color: #1f2937; font-weight: 700; }}
.gzqa .cites-title {{ font-size: 15px; margin: 14px 0 4px; }}
.gzqa ol.citations {{ list-style: none; padding: 0; margin: 0; }}
.gzqa li.citation {{ border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px;
  margin: 10px 0; }}
.gzqa li.citation.answering {{ border-color: #16a34a; }}
.gzqa li.citation.other {{ background: rgba(107, 114, 128, 0.06); }}
.gzqa .head {{ font-weight: 600; }}
.gzqa .head .n {{ color: #2563eb; margin-right: 6px; }}
.gzqa .badge {{ display: inline-block; margin-left: 6px; font-size: 12px; font-weight: 500; padding: 0 8px;
  border-radius: 999px; line-height: 1.7; white-space: nowrap; vertical-align: 1px;
  background: rgba(37, 99, 235, 0.1); color: #1d4ed8; }}
.gzqa .badge.other-year {{ background: rgba(217, 119, 6, 0.15); color: #b45309; }}
.gzqa .where {{ font-size: 13px; opacity: 0.7; word-break: break-all; }}
/* !important: gradio's prose styles give blockquotes a 24px margin with a more specific selector */
.gzqa blockquote.passage {{ margin: 6px 0 !important; padding: 4px 0 4px 12px;
  border-left: 3px solid var(--border-color-primary); }}
.gzqa details.article summary {{ cursor: pointer; color: #2563eb; font-size: 14px; }}
.gzqa .article-view {{ position: relative; max-height: 55vh; overflow: auto; margin-top: 6px; font-size: 15px;
  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 0; }}
.gzqa .article-view .line {{ display: flex; gap: 10px; padding: 0 10px; }}
.gzqa .article-view .line.blank {{ line-height: 1.2; font-size: 12px; }}
.gzqa .article-view .line.cited {{ background: rgba(250, 204, 21, 0.25); box-shadow: inset 3px 0 #eab308; }}
.gzqa .article-view .ln {{ flex: 0 0 2.6em; text-align: right; opacity: 0.45; font-variant-numeric: tabular-nums;
  user-select: none; }}
.gzqa .article-view .tx {{ flex: 1; min-width: 0; overflow-wrap: anywhere; white-space: pre-wrap; }}
.gzqa dl.facts {{ display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0 0 8px; }}
.gzqa dl.facts dt {{ font-size: 12px; opacity: 0.65; }}
.gzqa dl.facts dd {{ margin: 0; font-weight: 600; }}
.gzqa .warn {{ color: #b45309; }}
.gzqa .ok {{ color: #15803d; font-size: 14px; }}
.gzqa .table-wrap {{ overflow-x: auto; }}
.gzqa table.articles {{ width: 100%; border-collapse: collapse; border: 0; font-size: 14px; }}
.gzqa table.articles th, .gzqa table.articles td {{ text-align: left; vertical-align: top; padding: 6px 8px;
  border: 0; border-bottom: 1px solid var(--border-color-primary); background: none; }}
.gzqa table.articles tr {{ border: 0; }}
.gzqa table.articles th {{ font-size: 13px; font-weight: 600; opacity: 0.75; white-space: nowrap; }}
.gzqa table.articles td.date {{ white-space: nowrap; }}
.gzqa table.articles .num {{ text-align: right; }}
.gzqa table.articles .file, .gzqa table.articles .evidence {{ font-size: 12px; opacity: 0.65; word-break: break-all; }}
.gzqa .refused h4 {{ margin: 12px 0 4px; }}
#examples button {{ font-size: 14px; }}
@media (max-width: 600px) {{
  .gzqa .answer-text {{ font-size: 18px; }}
  .gzqa .card {{ padding: 10px 12px; }}
  .gzqa li.citation {{ padding: 8px 10px; }}
  .gzqa table.articles thead {{ display: none; }}
  .gzqa table.articles tr {{ display: grid; grid-template-columns: auto 1fr auto; gap: 0 8px;
    border-bottom: 1px solid var(--border-color-primary); padding: 6px 0; }}
  .gzqa table.articles td {{ border: 0; padding: 2px 4px; }}
  .gzqa table.articles td.title {{ grid-column: 1 / -1; }}
}}
"""
