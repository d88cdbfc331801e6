"""The Gradio web app: ask with filters, read cited passages and whole articles, add articles, update the index.

Answers come only from `qa` (the one retrieval path the CLI uses too); all HTML
comes from `ui.html`. Index updates run in a worker thread while questions go on
being answered: `update` publishes a new build atomically and the assistant picks
it up on the next question. Uploads land only in seeds/, under a sanitised name.
"""
from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: it must not phone home

import gradio as gr  # noqa: E402

from index import store  # noqa: E402
from index.build import update  # noqa: E402
from index.embed import ModelMissing  # noqa: E402
from index.load import decode, fingerprint  # noqa: E402
from index.records import Rejected  # noqa: E402
from index.status import status as index_status  # noqa: E402
from qa.answer import ask  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.question import QuestionError  # noqa: E402
from ui import html  # noqa: E402

MAX_UPLOAD = 5 * 1024 * 1024
MAX_STEM = 80  # characters; 80 CJK characters are 240 bytes, under the usual 255-byte file name limit
EXAMPLES = ("白云区2026年固投目标是多少", "番禺区委书记叫什么", "从化区2026年GDP增速目标是多少", "花都力争年接待游客多少")
UNSAFE = re.compile(r"[^\w\-.]+")  # \w is Unicode-aware: Chinese characters are kept
ANY_YEAR = "按问题"
FIX_IN_UI = "也可以在「索引」页点「更新索引」。"


class UploadRefused(ValueError):
    """An upload that was not saved; the message says why and what to do."""


@dataclass(frozen=True)
class Saved:
    """Where an upload went and what the user should be told."""

    name: str
    message: str
    changed: bool  # seeds/ changed, so the index needs an update


def safe_name(name: str) -> str:
    """A browser-supplied file name → a plain `*.txt` base name (no folders, no hidden files, no odd characters)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]  # either separator: Windows paths too
    stem = base[:-4] if base.lower().endswith(".txt") else base
    stem = re.sub(r"_+", "_", UNSAFE.sub("_", stem)).strip("._-")[:MAX_STEM].rstrip("._-")
    return f"{stem or 'article'}.txt"


def save_upload(seeds_dir: Path, original_name: str, data: bytes, replace: bool = False) -> Saved:
    """Check an uploaded article and put it in `seeds_dir`; never writes anywhere else, never half a file."""
    name = safe_name(original_name)
    if len(data) > MAX_UPLOAD:
        raise UploadRefused(f"{name}: 文件太大（{len(data) / 1_048_576:.1f} MB，上限 {MAX_UPLOAD // 1_048_576} MB）——请拆分文章")
    decoded = decode(name, data)
    if isinstance(decoded, Rejected):
        raise UploadRefused(f"{name}: 无法收录——{decoded.reason}")
    seeds = Path(seeds_dir).resolve()
    target = seeds / name
    if target.parent != seeds:  # safe_name leaves no separator; this keeps that promise checkable
        raise UploadRefused(f"{original_name}: 文件名不可用")
    digest = hashlib.sha256(data).hexdigest()
    same = next((n for n, sha in fingerprint(seeds).items() if sha == digest), None)
    if same:
        return Saved(same, f"{same} 已有相同内容，未重复添加。", False)
    tmp = seeds / f".upload-{uuid.uuid4().hex}.part"  # not *.txt: an update running now never reads it
    tmp.write_bytes(data)
    try:
        if replace and target.exists():
            os.replace(tmp, target)
            return Saved(name, f"已替换同名文件 {name}（内容不同）。", True)
        stem, n = target.stem, 1
        while True:  # a hard link never overwrites: a name taken meanwhile just moves us to the next one
            try:
                os.link(tmp, target)
                break
            except FileExistsError:
                n += 1
                target = seeds / f"{stem}-{n}.txt"
        if target.name != name:
            return Saved(target.name, f"已有另一篇同名文件 {name}，新文章保存为 {target.name}"
                                      f"（勾选“替换同名文件”可覆盖）。", True)
        return Saved(name, f"已保存为 {name}。", True)
    finally:
        tmp.unlink(missing_ok=True)


def run_update(seeds_dir: Path, index_dir: Path, force: bool, log: list[str]) -> Iterator[str]:
    """Update the index in a worker thread, yielding the growing progress log."""
    messages: queue.Queue = queue.Queue()
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["report"] = update(seeds_dir, index_dir, force=force, progress=messages.put)
        except Exception as err:  # whatever it is, the log must end by saying so rather than wait forever
            outcome["error"] = err
        finally:
            messages.put(None)

    # A thread, not the request: if the page goes away mid-update, the build still finishes and publishes.
    threading.Thread(target=work, name="gzqa-update", daemon=True).start()
    log.append("开始更新索引（更新期间仍可提问，答案来自当前索引）")
    yield "\n".join(log)
    while (message := messages.get()) is not None:
        log.append(f"… {message}")
        yield "\n".join(log)
    log.append(html.build_summary(outcome["report"]) if "report" in outcome else f"更新失败：{outcome['error']}")
    yield "\n".join(log)


def constant(value):
    """An event handler that returns `value` (an example button filling the question box)."""
    return lambda: value


def app(seeds_dir: Path, index_dir: Path, assistant: Assistant | None = None) -> gr.Blocks:
    """The Blocks app over the seeds and index at these paths."""
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    assistant = assistant or Assistant(index_dir)

    def answer(question: str, year: str, sources: list[str] | None, k: float) -> str:
        try:
            stored = assistant.index()  # one build for the answer and the article texts its line numbers refer to
            result = ask(stored, question or "", k=int(k), year=int(year) if year and year != ANY_YEAR else None,
                         sources=tuple(sources) if sources else None)
        except QuestionError as err:
            return html.problem("无法检索这个问题", str(err))
        except (store.IndexProblem, ModelMissing) as err:
            return html.problem("索引不可用", str(err), FIX_IN_UI)
        texts = {c.source: stored.articles[c.source]["text"] for c in result.citations}
        return html.result(result, texts)

    def refresh() -> tuple:
        try:
            status = index_status(seeds_dir, index_dir)
        except store.IndexProblem as err:
            return html.problem("还没有可用的索引", str(err), FIX_IN_UI), gr.skip(), gr.skip()
        years = sorted({int(a["year"]["value"]) for a in status["articles"] if a.get("year")}, reverse=True)
        articles = [(f"{a['title']['value'][:30]}（{a['source']}）", a["source"]) for a in status["articles"]]
        return (html.status_panel(status), gr.Dropdown(choices=[ANY_YEAR] + [str(y) for y in years]),
                gr.Dropdown(choices=articles))

    def add_article(path: str | None, replace: bool) -> Iterator[str]:
        if not path:
            return
        original = Path(path).name
        try:
            if os.path.getsize(path) > MAX_UPLOAD:  # before reading it into memory
                raise UploadRefused(f"{original}: 文件太大（上限 {MAX_UPLOAD // 1_048_576} MB）——请拆分文章")
            saved = save_upload(seeds_dir, original, Path(path).read_bytes(), replace=replace)
        except (UploadRefused, OSError) as err:
            yield f"未添加：{err}"
            return
        log = [saved.message]
        if saved.changed:
            yield from run_update(seeds_dir, index_dir, False, log)
        else:
            yield "\n".join(log)

    def rebuild(force: bool) -> Iterator[str]:
        yield from run_update(seeds_dir, index_dir, force, ["完全重建：重新计算全部向量" if force else "增量更新"])

    with gr.Blocks(title="gzqa · 广州高质量发展问答", analytics_enabled=False) as demo:
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
                        k = gr.Slider(1, 20, value=5, step=1, label="显示段落数 k", min_width=160, elem_id="k")
                output = gr.HTML(html.placeholder(), js_on_load=html.ARTICLE_JS, elem_id="result")
            with gr.Tab("索引", id="index") as index_tab:
                status_html = gr.HTML(elem_id="index-status")
                with gr.Row():
                    upload = gr.File(label=f"添加文章：UTF-8 .txt，不超过 {MAX_UPLOAD // 1_048_576} MB", file_types=[".txt"],
                                     type="filepath", elem_id="upload", min_width=240)
                    with gr.Column(min_width=200):
                        replace = gr.Checkbox(label="替换同名文件", value=False)
                        update_button = gr.Button("更新索引", elem_id="update-button")
                        force = gr.Checkbox(label="完全重建（重新计算全部向量）", value=False)
                log = gr.Textbox(label="进度", lines=6, max_lines=14, interactive=False, elem_id="log")

        inputs = [question, year, sources, k]
        go.click(answer, inputs, output)
        question.submit(answer, inputs, output)
        for button, text in zip(example_buttons, EXAMPLES):
            button.click(constant(text), None, question).then(answer, inputs, output)
        panels = [status_html, year, sources]
        demo.load(refresh, None, panels)
        index_tab.select(refresh, None, panels)  # seeds/ may have changed on disk since the page loaded
        # One index writer at a time from this app (update() also locks); questions are a separate queue.
        writer = {"concurrency_limit": 1, "concurrency_id": "index"}
        upload.upload(add_article, [upload, replace], log, **writer).then(refresh, None, panels)
        update_button.click(rebuild, [force], log, **writer).then(refresh, None, panels)
    return demo


def serve(seeds: Path, index_dir: Path, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Start the web UI on host:port (localhost unless told otherwise) and block until stopped."""
    from index.tokenize import warm_up

    warm_up()  # jieba's dictionary loads now, not on the first question
    assistant = Assistant(index_dir)
    try:
        assistant.index().query_encoder()
    except (store.IndexProblem, ModelMissing) as err:  # say so in the log, but serve: the index page can build one
        print(f"gzqa: {err}", flush=True)
    app(seeds, index_dir, assistant).queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, share=False, ssr_mode=False, max_file_size=MAX_UPLOAD,
        theme=gr.themes.Default(font=[f.strip().strip('"') for f in html.CJK_FONTS.split(",")]),
        css=html.CSS, show_error=True)
