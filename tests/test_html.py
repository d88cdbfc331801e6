"""The web UI's HTML rendering, without gradio: escaping, figure highlight, not-found labelling, article views.

Plus the words it shares with the terminal's rendering (`ui.labels`).
"""
from __future__ import annotations

import re

import pytest

from index.build import BuildReport
from index.records import Rejected
from qa.answer import Answer, Citation
from ui import html, terminal

PASSAGE = "白云区委书记洪谦表示,推动全年GDP向3500亿元迈进,增长5.5%,完成固投1400亿元,增长5%以上,外贸增长10%以上。"
ARTICLE = "# 广州市召开高质量发展大会\n\n2月25日,广州举行大会。\n白云区委书记洪谦表示,推动全年GDP向3500亿元迈进,\n增长5.5%,完成固投1400亿元,增长5%以上。\n\n其他内容。"
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def citation(n: int = 1, text: str = PASSAGE, year: int | None = 2026, year_ok: bool = True,
             lines: tuple[int, int] = (4, 5), title: str = "广州市召开高质量发展大会", source: str = "003.txt") -> Citation:
    return Citation(n, text, source, title, "2月25日", year, "亮目标 › 白云区", lines, 0.9, year_ok, f"{source}#{n}")


def answered(*citations: Citation) -> Answer:
    return Answer("白云区2026年固投目标是多少", True, "完成固投1400亿元,增长5%以上", "1400亿元", 1, None,
                  citations or (citation(),), (2026,), False)


def not_found(*citations: Citation) -> Answer:
    return Answer("从化区2026年GDP增速目标是多少", False, None, None, None,
                  "语料中没有2026年 从化区的相关内容；下面是最接近的段落，来自2024年的报道，仅供参考。",
                  citations, (2026,), False)


def text_of(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded."""
    import html as stdlib

    return stdlib.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_marked_highlights_the_figure_inside_the_answer():
    out = html.marked(PASSAGE, "完成固投1400亿元,增长5%以上", "1400亿元")
    assert '<mark class="answer">完成固投</mark>' in out
    assert '<mark class="answer"><mark class="figure">1400亿元</mark></mark>' in out
    assert text_of(out) == PASSAGE


def test_marked_prefers_the_figure_within_the_answer_over_an_equal_number_before_it():
    text = "去年增长5%。今年目标增长5%以上。"
    out = html.marked(text, "今年目标增长5%以上", "5%")
    assert out.index('<mark class="figure">') > out.index("今年")
    assert out.count('<mark class="figure">') == 1


def test_marked_without_a_match_is_just_escaped():
    assert html.marked("a<b", "不在其中", "9亿元") == "a&lt;b"
    assert html.marked("", None, None) == ""


@pytest.mark.parametrize("render", [
    lambda: html.marked(XSS, "window", "1"),
    lambda: html.citation_card(citation(text=XSS, title=XSS, source='x".txt'), not_found(), XSS + "\n" + XSS),
    lambda: html.result(answered(citation(text="完成固投1400亿元,增长5%以上" + XSS)), {"003.txt": XSS}),
    lambda: html.article_view(XSS + "\n第二行", (1, 1), "1"),
    lambda: html.problem(XSS, XSS, XSS),
])
def test_article_text_is_escaped_everywhere(render):
    out = render()
    assert "<script" not in out.lower() and "<img" not in out.lower()
    assert "&lt;script&gt;" in out
    assert 'x".txt' not in out  # quotes escaped: no breaking out of an attribute


def test_a_citation_s_lines_read_the_same_in_the_terminal_and_on_the_web():
    one_line = answered(citation(lines=(59, 59)))
    assert "003.txt 第59行" in terminal.answer_text(one_line) and "003.txt 第59行" in html.answer_card(one_line)
    assert "59–59" not in terminal.answer_text(one_line)
    assert "003.txt 第4–5行" in terminal.answer_text(answered()) and "003.txt 第4–5行" in html.answer_card(answered())


def test_answer_card_shows_the_answer_with_its_figure_and_citation():
    out = html.answer_card(answered())
    assert 'class="card answered"' in out
    assert '<mark class="figure">1400亿元</mark>' in out
    assert 'href="#cite-1"' in out and "003.txt 第4–5行" in out and "2026年" in out


def test_answering_citation_highlights_the_answer_in_its_passage():
    out = html.result(answered(citation(1), citation(2, lines=(9, 9))), {"003.txt": ARTICLE})
    first, second = out.split('id="cite-2"')
    assert '<mark class="answer">' in first and '<mark class="answer">' not in second
    assert 'class="citation answering"' in first


def test_not_found_says_so_and_labels_other_year_passages():
    out = html.result(not_found(citation(1, year=2024, year_ok=False), citation(2, year=2026, year_ok=True)),
                      {"003.txt": ARTICLE})
    assert "未找到" in out and "语料没有直接回答这个问题" in out and "从化区" in out
    first, second = out.split('id="cite-2"')
    assert "其他年份" in first and "2024年" in first
    assert "其他年份" not in second
    assert "<mark" not in out  # nothing is presented as the answer


def test_not_found_without_other_years_does_not_mention_them():
    out = html.answer_card(not_found(citation(1, year_ok=True)))
    assert "其他年份" not in out and "最接近的段落" in out


def test_unknown_year_is_said():
    assert "年份不明" in html.citation_card(citation(year=None), answered(), None)


def test_article_view_numbers_every_line_and_marks_only_the_cited_ones():
    out = html.article_view(ARTICLE, (4, 5), "1400亿元")
    lines = re.findall(r'<div class="([^"]+)" data-ln="(\d+)">', out)
    assert [int(n) for _, n in lines] == list(range(1, ARTICLE.count("\n") + 2))
    cited = [int(n) for classes, n in lines if "cited" in classes.split()]
    assert cited == [4, 5]
    assert 'data-first="4"' in out
    assert '<mark class="figure">1400亿元</mark>' in out
    assert "blank" in dict((int(n), c) for c, n in lines)[2]


def test_citation_card_opens_the_whole_article_at_the_cited_lines():
    out = html.citation_card(citation(lines=(4, 5)), answered(), ARTICLE)
    assert "<details" in out and "定位到第4–5行" in out
    assert out.count('class="line cited"') == 2
    assert html.citation_card(citation(), answered(), None).count("<details") == 0


def test_status_panel_lists_articles_with_year_evidence_and_warns_of_changes():
    status = {
        "path": "/x", "built_at": "2026-11-23T02:34:05+0000",
        "model": {"name": "fake-hashing", "query_engine": "fake-hashing"},
        "counts": {"articles": 1, "chunks": 41},
        "articles": [{"source": "000.txt", "title": {"value": "<b>大会</b>", "evidence": "", "line": 3},
                      "date": {"value": "2月19日", "evidence": "", "line": 23},
                      "year": {"value": "2024", "evidence": "今年是新中国成立75周年", "line": 17},
                      "city": {"value": "广州市", "evidence": "广州市召开", "line": 3}, "chunks": 41}],
        "rejected": [{"source": "bad.txt", "reason": "not UTF-8 at byte 3"}],
        "seeds_changed": {"added": ["new.txt"], "changed": [], "removed": []},
    }
    out = html.status_panel(status)
    assert "&lt;b&gt;大会&lt;/b&gt;" in out and "<b>" not in out
    assert "2026-11-23 02:34:05" in out and "fake-hashing" in out and ">41<" in out
    assert "依据第17行" in out and "新中国成立75周年" in out
    assert "bad.txt" in out and "new.txt" in out and "更新索引" in out
    assert "<td>广州市</td>" in out
    status["seeds_changed"]["added"] = []
    assert "索引与文章目录一致" in html.status_panel(status)
    status["pipeline"] = {"index": "lexicon 5", "current": "lexicon 6", "stale": True}
    assert "旧版处理规则" in html.status_panel(status)


def test_build_summary_reports_what_changed():
    report = BuildReport(None, 6, 180, 5, 175, ("liwan.txt",), (), (), (Rejected("bad.txt", "empty file"),), 0.4)
    out = html.build_summary(report)
    assert "6 篇文章" in out and "新计算向量 5 个" in out and "liwan.txt" in out and "bad.txt：empty file" in out
    assert "已是最新" in html.build_summary(BuildReport(None, 5, 175, 0, 0, (), (), (), (), 0.0, up_to_date=True))


def test_real_answers_render(fake_index):
    """Everything the qa layer produces for the example questions renders, citations numbered in order."""
    from qa.assistant import Assistant

    assistant = Assistant(fake_index)
    articles = {s: a.text for s, a in assistant.index().articles.items()}
    for question in ("白云区2026年固投目标是多少", "番禺区委书记叫什么", "从化区2026年GDP增速目标是多少", "花都力争年接待游客多少"):
        answer = assistant.ask(question, k=3)
        out = html.result(answer, articles)
        assert re.findall(r'id="cite-(\d+)"', out) == [str(c.n) for c in answer.citations]
        assert out.count("<details") == len(answer.citations)
