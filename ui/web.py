"""The Gradio web app: ask with filters, read cited passages and whole articles, add articles, update the index.

Answers come only from `qa` (the one retrieval path the CLI uses too); all HTML
comes from `ui.html`. An answer carries no article text: each article view
fetches its article when opened (`ui.server`), so a page of k = 20 citations is
a few KB. Index updates run in a child process (`ui.indexing`) while questions go
on being answered: `update` publishes a new build atomically and the assistant
picks it up on the next question; the index tab shows chunks/s and the time
left, and can cancel. Uploads land only in seeds/, by the rules of `ui.upload`;
a replaced article is kept and can be restored there.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: it must not phone home

import gradio as gr  # noqa: E402

from index import store  # noqa: E402
from index.embed import ModelMissing  # noqa: E402
from index.status import status as index_status  # noqa: E402
from qa.answer import DEFAULT_K, ask  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.question import QuestionError  # noqa: E402
from qa.facts import comparison_grid, ordered, select  # noqa: E402
from ui import facts_page, html  # noqa: E402
from ui.errors import UnreadableText, check_text  # noqa: E402
from ui.facts_view import csv_text  # noqa: E402
from ui.indexing import IndexJob, embedding_line, report  # noqa: E402
from ui.upload import MAX_UPLOAD, UploadRefused, kept_versions, restore, save_upload_file  # noqa: E402

EXAMPLES = ("白云区2026年固投目标是多少", "番禺区委书记叫什么", "从化区2026年GDP增速目标是多少", "花都力争年接待游客多少",
            "白云区2026年固投目标比2024年多还是少", "2026年哪个区GDP增速目标最高")
KIND_CHOICES = [("全部", ""), ("总量", "amount"), ("增速", "rate"), ("数量", "count"), ("比重", "share")]
STATUS_CHOICES = [("全部", ""), ("目标", "target"), ("实绩", "result")]
SORT_CHOICES = [("文章与行", "source"), ("地方", "place"), ("年份", "year"), ("指标", "indicator"), ("数值", "value")]
ANY_YEAR = "按问题"
ALL_YEARS = "全部"
FIX_IN_UI = "也可以在「索引」页点「更新索引」。"


def answer_html(assistant: Assistant, question: str, year: str | None, sources: list[str] | None, k: float) -> str:
    """A question from the page → the answer's HTML, or a card saying what stopped it (never a traceback)."""
    try:
        stored = assistant.index()
        result = ask(stored, check_text(question or ""), k=int(k),
                     year=int(year) if year and year != ANY_YEAR else None,
                     sources=tuple(sources) if sources else None)
    except (QuestionError, UnreadableText, ValueError, TypeError) as err:
        return html.problem("无法检索这个问题", " ".join(str(err).split()))
    except (store.IndexProblem, ModelMissing) as err:
        return html.problem("索引不可用", str(err), FIX_IN_UI)
    return html.result(result, {}, lazy=True)


class Jobs:
    """The one index update this app runs at a time (uploads and the update button queue for it)."""

    def __init__(self, seeds_dir: Path, index_dir: Path):
        self.seeds_dir, self.index_dir = seeds_dir, index_dir
        self._lock = threading.Lock()
        self.current: IndexJob | None = None

    def run(self, force: bool, log: list[str]) -> Iterator[str]:
        """Start an update in its own process and yield the growing progress log until it ends."""
        with self._lock:
            self.current = job = IndexJob(self.seeds_dir, self.index_dir, force=force)
        log.append("开始更新索引（在独立进程中进行；更新期间仍可提问，答案来自当前索引；可点「取消更新」）")
        yield "\n".join(log)
        embedding_since, at = None, len(log)
        for event in job.events():
            kind = event.get("event")
            if kind == "progress":
                if event["message"].startswith("embedding"):
                    embedding_since = time.monotonic()
                log.append(f"… {event['message']}")
                at = len(log)
            elif kind == "embedded":
                line = embedding_line(event["done"], event["total"], time.monotonic() - (embedding_since or job.started))
                log[at:] = [f"… {line}"]
            elif kind == "done":
                log.append(html.build_summary(report(event)))
            elif kind == "cancelled":
                log.append("已取消：索引未改变，仍是上一次发布的版本。")
            elif kind == "failed":
                log.append(f"更新失败：{event['error']}")
            yield "\n".join(log)

    def cancel(self) -> str:
        """Stop the running update, if any → what to tell the user."""
        job = self.current
        if job is not None and job.cancel():
            return "正在取消更新……"
        return "没有正在进行的更新。"


def constant(value):
    """An event handler that returns `value` (an example button filling the question box)."""
    return lambda: value


def app(seeds_dir: Path, index_dir: Path, assistant: Assistant | None = None) -> gr.Blocks:
    """The Blocks app over the seeds and index at these paths."""
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    assistant = assistant or Assistant(index_dir)
    jobs = Jobs(seeds_dir, index_dir)

    def answer(question: str, year: str, sources: list[str] | None, k: float) -> str:
        return answer_html(assistant, question, year, sources, k)

    def kept_choices() -> gr.Dropdown:
        return gr.Dropdown(choices=[(k.label(), k.file) for k in kept_versions(seeds_dir)], value=None)

    downloads = Path(tempfile.mkdtemp(prefix="gzqa-facts-"))

    def facts_view(place: str, year: str, indicator: str, kind: str, status: str, sort: str) -> tuple:
        try:
            stored = assistant.index()
        except (store.IndexProblem, ModelMissing) as err:
            return html.problem("索引不可用", str(err), FIX_IN_UI), gr.skip()
        chosen = select(stored.facts(), place=place or None, year=int(year) if year and year != ALL_YEARS else None,
                        indicator=indicator or None, kind=kind or None, status=status or None)
        rows = ordered(chosen, by=sort or "source")
        # the grid has a column per year the reports speak of (2024 | 2026), whatever the year filter: a cell left
        # empty says the corpus has no figure for that year
        wide = select(stored.facts(), place=place or None, indicator=indicator or None, kind=kind or None)
        report_years = sorted({a.year_number for a in stored.articles.values() if a.year_number})
        years, grid = comparison_grid(wide, years=report_years or None, status=status or "target")
        texts = {f.source: stored.articles[f.source].text for f in rows + [c for r in grid for c in r.cells if c]}
        table = "\ufeff" + csv_text(rows)  # BOM: spreadsheet programs read UTF-8 then
        # named by content: two people filtering at once never get each other's file
        path = downloads / f"gzqa-facts-{hashlib.sha1(table.encode('utf-8')).hexdigest()[:12]}.csv"
        path.write_text(table, encoding="utf-8")
        return facts_page.page(rows, years, grid, texts), gr.DownloadButton(value=str(path))

    def refresh() -> tuple:
        try:
            status = index_status(seeds_dir, index_dir)
        except store.IndexProblem as err:
            return (html.problem("还没有可用的索引", str(err), FIX_IN_UI), gr.skip(), gr.skip(), gr.skip(),
                    kept_choices())
        years = sorted({int(a["year"]["value"]) for a in status["articles"] if a.get("year")}, reverse=True)
        articles = [(f"{a['title']['value'][:30]}（{a['source']}）", a["source"]) for a in status["articles"]]
        try:
            fact_years = sorted({f.year for f in assistant.index().facts() if f.year}, reverse=True)
        except (store.IndexProblem, ModelMissing):
            fact_years = []
        return (html.status_panel(status), gr.Dropdown(choices=[ANY_YEAR] + [str(y) for y in years]),
                gr.Dropdown(choices=articles), gr.Dropdown(choices=[ALL_YEARS] + [str(y) for y in fact_years]),
                kept_choices())

    def add_article(path: str | None, replace: bool) -> Iterator[str]:
        if not path:
            return
        try:
            saved = save_upload_file(seeds_dir, Path(path), replace=replace)
        except (UploadRefused, OSError) as err:
            yield f"未添加：{err}"
            return
        log = [saved.message]
        if saved.changed:
            yield from jobs.run(False, log)
        else:
            yield "\n".join(log)

    def rebuild(force: bool) -> Iterator[str]:
        yield from jobs.run(force, ["完全重建：重新计算全部向量" if force else "增量更新"])

    def bring_back(file: str | None) -> Iterator[str]:
        if not file:
            yield "请先在列表中选择一个被替换的版本。"
            return
        try:
            saved = restore(seeds_dir, file)
        except (UploadRefused, OSError) as err:
            yield f"未恢复：{err}"
            return
        yield from jobs.run(False, [saved.message])

    # Uploaded files are copied into seeds/ at once; gradio's temporary copies go after an hour, not never.
    with gr.Blocks(title="gzqa · 广州高质量发展问答", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.HTML(html.masthead())
        with gr.Tabs():
            with gr.Tab("提问", id="ask"):
                with gr.Row(equal_height=True):
                    question = gr.Textbox(label="问题", show_label=False, container=False, max_length=500,
                                          placeholder="输入问题，例如：白云区2026年固投目标是多少",
                                          scale=5, min_width=200, autofocus=True, elem_id="question")
                    go = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask-button")
                with gr.Row(elem_id="examples"):
                    example_buttons = [gr.Button(q, size="sm", variant="secondary", min_width=120) for q in EXAMPLES]
                with gr.Accordion("筛选：年份、文章、段落数", open=False):
                    with gr.Row():
                        year = gr.Dropdown([ANY_YEAR], value=ANY_YEAR, label="年份（覆盖问题中的年份）", min_width=160,
                                           elem_id="year")
                        sources = gr.Dropdown([], multiselect=True, label="只在这些文章中找（空：全部）", min_width=200,
                                              elem_id="sources")
                        k = gr.Slider(1, 20, value=DEFAULT_K, step=1, label="显示段落数 k", min_width=160, elem_id="k")
                output = gr.HTML(html.placeholder(), js_on_load=html.ARTICLE_JS, elem_id="result")
            with gr.Tab("指标一览", id="facts") as facts_tab:
                with gr.Row():
                    f_place = gr.Textbox(label="地方（白云、住建局、广州…）", min_width=140, elem_id="facts-place")
                    f_year = gr.Dropdown([ALL_YEARS], value=ALL_YEARS, label="年份", min_width=100, elem_id="facts-year")
                    f_indicator = gr.Textbox(label="指标（固投、GDP、社零…）", min_width=140, elem_id="facts-indicator")
                    f_kind = gr.Dropdown(KIND_CHOICES, value="", label="类型", min_width=100, elem_id="facts-kind")
                    f_status = gr.Dropdown(STATUS_CHOICES, value="", label="目标/实绩", min_width=100, elem_id="facts-status")
                    f_sort = gr.Dropdown(SORT_CHOICES, value="source", label="排序", min_width=100, elem_id="facts-sort")
                with gr.Row():
                    f_go = gr.Button("筛选", variant="primary", min_width=80, elem_id="facts-button")
                    f_csv = gr.DownloadButton("下载 CSV", min_width=80, elem_id="facts-csv")
                f_out = gr.HTML(elem_id="facts-result", js_on_load=facts_page.FACTS_JS)
            with gr.Tab("索引", id="index") as index_tab:
                status_html = gr.HTML(elem_id="index-status")
                with gr.Row():
                    upload = gr.File(label=f"添加文章：UTF-8 .txt，不超过 {MAX_UPLOAD // 1_048_576} MB", file_types=[".txt"],
                                     type="filepath", elem_id="upload", min_width=240)
                    with gr.Column(min_width=200):
                        replace = gr.Checkbox(label="替换同名文件", value=False)
                        update_button = gr.Button("更新索引", elem_id="update-button")
                        force = gr.Checkbox(label="完全重建（重新计算全部向量）", value=False)
                        cancel_button = gr.Button("取消更新", variant="stop", size="sm", elem_id="cancel-button")
                with gr.Row():
                    kept = gr.Dropdown([], label="被替换的旧版本（保存在 seeds/.replaced/，不参与索引）", min_width=240,
                                       elem_id="kept")
                    restore_button = gr.Button("恢复所选版本", size="sm", min_width=120, elem_id="restore-button")
                log = gr.Textbox(label="进度", lines=6, max_lines=14, interactive=False, elem_id="log")

        inputs = [question, year, sources, k]
        go.click(answer, inputs, output, api_name="answer")
        question.submit(answer, inputs, output, api_name=False)
        for button, text in zip(example_buttons, EXAMPLES):
            button.click(constant(text), None, question, api_name=False).then(answer, inputs, output, api_name=False)
        facts_inputs = [f_place, f_year, f_indicator, f_kind, f_status, f_sort]
        f_go.click(facts_view, facts_inputs, [f_out, f_csv])
        for box in (f_place, f_indicator):
            box.submit(facts_view, facts_inputs, [f_out, f_csv])
        facts_tab.select(facts_view, facts_inputs, [f_out, f_csv])
        panels = [status_html, year, sources, f_year, kept]
        demo.load(refresh, None, panels)
        index_tab.select(refresh, None, panels)  # seeds/ may have changed on disk since the page loaded
        # One index writer at a time from this app (update() also locks); questions are a separate queue.
        writer = {"concurrency_limit": 1, "concurrency_id": "index"}
        upload.upload(add_article, [upload, replace], log, **writer).then(refresh, None, panels)
        update_button.click(rebuild, [force], log, **writer).then(refresh, None, panels)
        restore_button.click(bring_back, [kept], log, **writer).then(refresh, None, panels)
        cancel_button.click(lambda: gr.Info(jobs.cancel()), None, None, concurrency_limit=None, api_name=False)
    return demo
