"""Issue 10, finding 4: undecodable input of any kind gets its promised error line, never a traceback.

The CLI is run in-process for the property tests (hundreds of examples; a
subprocess each would take minutes) and as a real process for the issue's own
command lines.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.assistant import Assistant
from tests.conftest import ROOT
from ui import cli
from ui.server import answer_json
from ui.web import answer_html

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LINES = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([b"\xff\xfe", b"\xe7\x99", b"\xed\xa0\x80",
                                                                    "番禺区委书记叫什么".encode()])), max_size=5)


def run_cli(argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """`gzqa` in this process with `stdin` as raw bytes → (exit code, stdout, stderr).

    stdin and stdout are strict UTF-8 streams over bytes, as a terminal's or a pipe's are (a StringIO
    would take text a real stdout cannot encode); stderr escapes, as Python's own does.
    """
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(argv)
    finally:
        sys.stdin = old
    out.flush(), err.flush()
    return code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8")


def test_the_issues_batch_gives_an_error_line_and_goes_on(fake_index: Path):
    run = subprocess.run([sys.executable, "-m", "ui.cli", "ask", "--json", "-", "--index-dir", str(fake_index)],
                         input=b"\xff\xe7\x99\xbd\xe4\xba\x91\xe5\x8c\xba2026\n\xe7\x95\xaa\xe7\xa6\xba\xe5\x8c\xba"
                               b"\xe5\xa7\x94\xe4\xb9\xa6\xe8\xae\xb0\xe5\x8f\xab\xe4\xbb\x80\xe4\xb9\x88\n",
                         capture_output=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0 and b"Traceback" not in run.stderr
    first, second = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert first["question"].startswith("\\xff") and "not UTF-8" in first["error"]
    assert second["question"] == "番禺区委书记叫什么" and "error" not in second


def test_bad_bytes_as_the_argument_are_one_line(fake_index: Path):
    run = subprocess.run([sys.executable.encode(), b"-m", b"ui.cli", b"ask", b"\xff\xe7\x99\xbd\xe4\xba\x91",
                          b"--index-dir", str(fake_index).encode()], capture_output=True, cwd=ROOT, timeout=60)
    err = run.stderr.decode("utf-8", "replace").strip()
    assert run.returncode == 1 and run.stdout == b"" and len(err.splitlines()) == 1
    assert err.startswith("gzqa: the question is not valid UTF-8") and "Traceback" not in err


@PROPERTY
@given(lines=LINES)
def test_any_bytes_on_stdin_give_one_json_line_per_question(fake_index: Path, lines: list[bytes]):
    data = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines) + b"\n"
    code, out, err = run_cli(["ask", "--json", "-", "--index-dir", str(fake_index)], data)
    assert code == 0 and err == ""
    expected = [raw for raw in data.split(b"\n") if not _utf8(raw) or raw.decode("utf-8").strip().lstrip("\ufeff").strip()]
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(expected)  # one line per question, in order, whatever the others held
    for raw, row in zip(expected, rows):
        assert "question" in row and ("answered" in row) != ("error" in row)
        if not _utf8(raw):
            assert "not UTF-8" in row["error"]


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@PROPERTY
@given(raw=st.binary(min_size=1, max_size=30))
def test_any_bytes_as_the_argument_are_an_answer_or_one_line(fake_index: Path, raw: bytes):
    question = raw.replace(b"\x00", b"").decode("utf-8", "surrogateescape")  # what Python makes of argv bytes
    if not question.strip() or question.startswith("-"):
        return
    code, out, err = run_cli(["ask", question, "--index-dir", str(fake_index)])
    assert code in (0, 1) and "Traceback" not in err
    assert (code == 0 and out and err == "") or (code == 1 and len(err.strip().splitlines()) == 1
                                                 and err.startswith("gzqa: "))


TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40)


@pytest.fixture(scope="module")
def assistant(fake_index: Path) -> Assistant:
    return Assistant(fake_index)


@PROPERTY
@given(question=TEXT)
def test_any_text_through_the_web_answer_handler_is_a_card(assistant: Assistant, question: str):
    out = answer_html(assistant, question, "按问题", None, 5)
    assert out.startswith('<div class="gzqa"') and "Traceback" not in out
    if any("\ud800" <= ch <= "\udfff" for ch in question):
        assert "not valid UTF-8" in out


@PROPERTY
@given(body=st.one_of(st.binary(max_size=60), TEXT.map(lambda t: json.dumps({"question": t}).encode()),
                      TEXT.map(lambda t: json.dumps({"question": t}, ensure_ascii=False)
                               .encode("utf-8", "surrogatepass"))))
def test_any_body_through_the_json_endpoint_is_an_answer_or_an_error(assistant: Assistant, body: bytes):
    status, payload = answer_json(assistant, body)
    json.dumps(payload, ensure_ascii=False).encode("utf-8")  # what the server sends must be sendable
    assert (status == 200 and "answered" in payload) or (status == 400 and set(payload) == {"question", "error"})
