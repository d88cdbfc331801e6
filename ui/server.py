"""`gzqa serve`: the web app over HTTP — login, the Gradio page, article views, and a JSON endpoint for programs.

One ASGI app, served by uvicorn on a socket bound here (so "port in use" is our
one-line error, not uvicorn's exit):
    /                 the Gradio app (`ui.web`), its per-session state kept for the `SESSIONS` latest sessions
    /gzqa/article     GET source, first, last[, figure] → the whole article as HTML, cited lines marked;
                      what an article view fetches when opened (answers carry no article text)
    /api/ask          POST {"question", "k"?, "year"?, "sources"?} → the `gzqa ask --json` object;
                      a question that cannot be asked → 400 {"question", "error"}
Bound to 127.0.0.1 unless `--host` says otherwise; any other address requires a
login (HTTP basic: `--auth USER:PASSWORD` or GZQA_AUTH), checked on every path:
a corpus may hold unpublished drafts.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import socket
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from index import store
from index.embed import ModelMissing
from qa.answer import DEFAULT_K
from qa.assistant import Assistant
from qa.question import QuestionError
from ui.errors import ServeRefused, UnreadableText, check_text

LOOPBACK = ("127.0.0.1",)  # the one address served without a login (issue 10: anything else requires one)
QUESTION_WORKERS = 4  # questions answered at once (page and JSON alike): the encoder runs one OpenMP thread per
#                       question (`index.embed.QUERY_THREADS`) and releases the GIL, so 4 keep 2 cores busy
#                       while the Python half of another answer runs; more only queue inside the process
SESSIONS = 200  # browser sessions whose Gradio state (each output shown) is kept; the oldest is dropped first
MAX_BODY = 64 * 1024  # bytes of a JSON question; a question is at most 500 characters


def credentials(host: str, given: str | None) -> tuple[str, str] | None:
    """`--auth`/GZQA_AUTH and the host → (user, password), None on 127.0.0.1 without one, or ServeRefused."""
    if given:
        user, _, password = given.partition(":")
        if not user or not password:
            raise ServeRefused("--auth takes USER:PASSWORD (both non-empty), e.g. --auth reader:'a long secret'")
        return user, password
    if host not in LOOPBACK:
        raise ServeRefused(f"serving on {host} lets anyone who can reach it read the corpus — give --auth "
                           f"USER:PASSWORD (or set GZQA_AUTH=USER:PASSWORD), or keep --host 127.0.0.1")
    return None


class BasicAuth:
    """ASGI middleware: every HTTP request and websocket needs the login (HTTP basic), else 401."""

    def __init__(self, app, login: tuple[str, str]):
        self.app = app
        self.user, self.password = (part.encode("utf-8") for part in login)

    def allowed(self, header: bytes) -> bool:
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(user, self.user) & hmac.compare_digest(password, self.password)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.allowed(dict(scope["headers"]).get(b"authorization", b"")):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"www-authenticate", b'Basic realm="gzqa", charset="UTF-8"'),
                                (b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": "gzqa: login required\n".encode("utf-8")})


def answer_json(assistant: Assistant, body: bytes, slots: threading.Semaphore | None = None) -> tuple[int, dict]:
    """A POSTed JSON body → (HTTP status, the answer as `gzqa ask --json` prints it, or {"question", "error"})."""
    try:
        request = json.loads(body.decode("utf-8"))
        if not isinstance(request, dict) or not isinstance(request.get("question"), str):
            raise ValueError('send a JSON object with a "question" string')
        question = check_text(request["question"])
        k = request.get("k", DEFAULT_K)
        year, sources = request.get("year"), request.get("sources")
        if not (isinstance(k, int) and 1 <= k <= 20) or not (year is None or isinstance(year, int)):
            raise ValueError('"k" is a whole number from 1 to 20, "year" a whole number or null')
        if sources is not None and not (isinstance(sources, list) and all(isinstance(s, str) for s in sources)):
            raise ValueError('"sources" is a list of article file names or null')
    except UnicodeDecodeError as err:
        return 400, {"question": None, "error": f"the request is not UTF-8 (byte {err.start + 1}) — send UTF-8 JSON"}
    except (ValueError, UnreadableText) as err:  # json's errors are ValueErrors too
        return 400, {"question": None, "error": " ".join(str(err).split())}
    try:
        if slots:
            with slots:
                answer = assistant.ask(question, k=k, year=year, sources=tuple(sources) if sources else None)
        else:
            answer = assistant.ask(question, k=k, year=year, sources=tuple(sources) if sources else None)
    except QuestionError as err:
        return 400, {"question": question, "error": str(err)}
    except (store.IndexProblem, ModelMissing) as err:
        return 503, {"question": question, "error": str(err)}
    return 200, answer.to_json()


def article_html(assistant: Assistant, source: str, first: str, last: str, figure: str | None) -> tuple[int, str]:
    """The article view an answer's citation opens → (HTTP status, HTML fragment)."""
    from ui import html

    try:
        lines = (int(first), int(last))
        article = assistant.index().articles.get(check_text(source, "the article name"))
        figure = check_text(figure, "the figure") if figure else None
    except (ValueError, UnreadableText, store.IndexProblem) as err:
        return 400, f'<div class="article-view">{html.esc(err)}</div>'
    if article is None:
        return 404, f'<div class="article-view">{html.esc(source)} 不在当前索引中（索引可能已更新）。</div>'
    return 200, html.article_view(article.text, lines, figure)


def http_app(seeds_dir: Path, index_dir: Path, assistant: Assistant, login: tuple[str, str] | None = None):
    """The whole ASGI app: the routes above, the Gradio app at "/", the login around all of it."""
    import gradio as gr

    from ui import facts_page, html, web
    from ui.upload import MAX_UPLOAD

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    slots = threading.Semaphore(QUESTION_WORKERS)

    @app.post("/api/ask")
    async def ask_json(request: Request):
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"question": None, "error": "request too large"}, status_code=413)
        status, payload = await run_in_threadpool(answer_json, assistant, body, slots)
        return JSONResponse(payload, status_code=status)

    @app.get("/gzqa/article")
    async def article(source: str = "", first: str = "1", last: str = "1", figure: str | None = None):
        status, fragment = await run_in_threadpool(article_html, assistant, source, first, last, figure)
        return HTMLResponse(fragment, status_code=status)

    demo = web.app(seeds_dir, index_dir, assistant).queue(default_concurrency_limit=QUESTION_WORKERS)
    demo.state_session_capacity = SESSIONS
    app = gr.mount_gradio_app(app, demo, path="", max_file_size=MAX_UPLOAD, ssr_mode=False, show_error=True,
                              theme=gr.themes.Default(font=[f.strip().strip('"') for f in html.CJK_FONTS.split(",")]),
                              css=html.CSS + facts_page.CSS, footer_links=[])
    return BasicAuth(app, login) if login else app


def serve(seeds: Path, index_dir: Path, host: str = "127.0.0.1", port: int = 7860,
          login: tuple[str, str] | None = None) -> None:
    """Start the web UI on host:port (localhost unless told otherwise) and block until stopped."""
    import uvicorn

    from index.tokenize import warm_up

    credentials(host, ":".join(login) if login else None)  # never serve another interface without a login
    warm_up()  # jieba's dictionary loads now, not on the first question
    assistant = Assistant(index_dir)
    try:
        assistant.index().query_encoder()
    except (store.IndexProblem, ModelMissing) as err:  # say so in the log, but serve: the index page can build one
        print(f"gzqa: {err}", flush=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(f"cannot serve on {host}:{port} ({err.strerror}) — is it in use? choose another with --port") \
            from None
    app = http_app(Path(seeds), Path(index_dir), assistant, login)
    print(f"gzqa: serving http://{host}:{port}" + (" (login required)" if login else "") + " (Ctrl-C to stop)",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_keep_alive=30))
    server.run(sockets=[sock])
