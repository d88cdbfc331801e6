"""Answering end to end on the real seeds (fake embedder): years, places, not-found, the CLI contract."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.store import load
from qa.answer import ask
from qa.evaluate import citations_valid
from tests.conftest import ROOT

BAIYUN_2026 = "003_ceb711fc79301318.txt"


@pytest.fixture(scope="module")
def stored(fake_index):
    return load(fake_index)


def test_year_decides_between_two_targets(stored):
    a2026 = ask(stored, "白云区2026年固投目标是多少")
    assert a2026.answered and "1400亿元" in a2026.text and a2026.figure == "1400亿元"
    assert a2026.citations[0].source == BAIYUN_2026 and a2026.citations[0].year == 2026
    assert all("1410" not in c.text for c in a2026.citations if c.year_ok)
    a2024 = ask(stored, "白云区2024年固投目标多少")
    assert a2024.answered and "1410亿元" in a2024.text and a2024.citations[0].year == 2024


def test_other_year_never_outranks_the_asked_year(stored):
    answer = ask(stored, "南沙区2026年固定资产投资增长多少", k=10)
    flags = [c.year_ok for c in answer.citations]
    assert flags == sorted(flags, reverse=True)


def test_not_found_shows_the_nearest_other_year_fact(stored):
    answer = ask(stored, "从化区2026年GDP增速目标是多少")
    assert not answer.answered and answer.text is None
    assert "2026" in answer.note and "从化" in answer.note
    first = answer.citations[0]
    assert "从化" in first.text and first.year == 2024 and not first.year_ok


def test_year_flag_overrides_the_question(stored):
    answer = ask(stored, "白云区固投目标是多少", year=2024)
    assert answer.answered and "1410亿元" in answer.text


def test_citations_are_verbatim_and_numbered(stored):
    for question in ("番禺区委书记叫什么", "花都力争年接待游客多少", "越秀区2026年固投目标"):
        answer = ask(stored, question, k=5)
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        assert citations_valid(stored, answer)


def test_json_shape(stored):
    data = ask(stored, "白云区2026年固投目标是多少").to_json()
    assert set(data) >= {"question", "answered", "answer", "note", "passages"}
    assert set(data["answer"]) == {"text", "figure", "citation"}
    passage = data["passages"][0]
    assert set(passage) >= {"rank", "text", "source", "title", "date", "year", "section", "lines", "score"}
    assert passage["lines"][0] <= passage["lines"][1]


def gzqa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_cli_reads_questions_from_stdin(fake_index):
    run = gzqa("ask", "--json", "-", "--index-dir", str(fake_index),
               stdin="白云区2026年固投目标是多少\n\n？？？\n从化区2026年GDP增速目标是多少\n")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r.get("answered") for r in rows] == [True, None, False]
    assert "error" in rows[1] and "1400亿元" in rows[0]["answer"]["text"]


def test_cli_errors_are_one_line_with_the_fix(fake_index, tmp_path: Path):
    empty = gzqa("ask", "  ", "--index-dir", str(fake_index))
    assert empty.returncode == 1 and empty.stdout == "" and len(empty.stderr.strip().splitlines()) == 1
    missing = gzqa("ask", "白云区固投", "--index-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "gzqa index build" in missing.stderr and "Traceback" not in missing.stderr
    assert gzqa("ask").returncode == 2
    assert gzqa("ask", "白云", "-k", "0", "--index-dir", str(fake_index)).returncode == 2


def test_cli_terminal_output_highlights_the_figure(fake_index):
    run = gzqa("ask", "白云区2026年固投目标是多少", "--index-dir", str(fake_index))
    assert run.returncode == 0 and "【1400亿元】" in run.stdout and BAIYUN_2026 in run.stdout


def test_status_lists_articles_with_year_evidence(fake_index):
    run = gzqa("index", "status", "--json", "--index-dir", str(fake_index), "--seeds", "seeds")
    status = json.loads(run.stdout)
    years = {a["source"][:3]: a["year"]["value"] for a in status["articles"]}
    assert years == {"000": "2024", "001": "2024", "002": "2024", "003": "2026", "004": "2024"}
    assert all(a["year"]["evidence"] for a in status["articles"])
    assert status["seeds_changed"] == {"added": [], "changed": [], "removed": []}


def test_a_place_the_corpus_never_mentions_is_not_found(stored):
    for question, place in (("深圳南山区2024年GDP目标", "南山区"), ("广州市卫健委主任是谁", "卫健委")):
        answer = ask(stored, question)
        assert not answer.answered and place in answer.note and answer.citations


def test_another_districts_figure_in_the_same_paragraph_is_not_an_answer(stored):
    answer = ask(stored, "海珠区社零增速目标是多少")
    assert not answer.answered


def test_this_year_falls_back_to_the_newest_report_that_answers_and_says_so(stored):
    answer = ask(stored, "越秀区今年固定资产投资额要完成多少")
    assert answer.answered and "135亿元" in answer.text and answer.citations[0].year == 2024
    assert "2026" in answer.note and "2024" in answer.note
    explicit = ask(stored, "越秀区2026年固定资产投资额要完成多少")
    assert not explicit.answered  # an explicit year is never relaxed


def test_how_many_of_a_unit_needs_a_figure_in_that_unit(stored):
    answer = ask(stored, "2024年全省高质量发展大会有多少个市委书记参加")
    assert answer.answered and answer.figure == "21个"


def test_a_question_without_chinese_gets_a_clear_note(stored):
    answer = ask(stored, "What is Baiyun 2026 investment target")
    assert not answer.answered and "中文" in answer.note


def test_another_city_of_the_same_district_name_is_not_guangzhou(stored):
    assert not ask(stored, "贵阳白云区2026年GDP目标").answered


def test_the_answering_passage_may_be_second_when_the_first_is_about_other_districts(stored):
    answer = ask(stored, "越秀区2024年GDP增速目标")
    assert answer.answered and answer.figure == "4%" and "越秀" in answer.citations[0].text


def test_two_districts_asked_each_is_found_and_the_note_says_which_is_answered(stored):
    answer = ask(stored, "花都区和从化区2024年的固投目标")
    assert answer.answered and "问题问到花都区、从化区" in answer.note
    texts = " ".join(c.text for c in answer.citations)
    assert "花都" in texts and "从化" in texts


def test_a_meeting_date_picks_the_year_of_that_meeting(stored):
    answer = ask(stored, "2月25日的会上海珠区提出固定资产投资增长多少")
    assert answer.answered and answer.figure == "8%" and answer.citations[0].year == 2026


def test_reversed_question_finds_the_district_by_its_figure(stored):
    answer = ask(stored, "工业投资360亿元是哪个区提出的目标")
    assert answer.answered and "增城" in answer.text


def test_an_article_filter_still_gives_k_passages_of_that_article(stored):
    source = "001_0d211377d81efd56.txt"
    answer = ask(stored, "白云区城管局践行双碳战略", k=5, sources=(source,))
    assert len(answer.citations) == 5 and {c.source for c in answer.citations} == {source}


@pytest.mark.parametrize("line, problem", [
    ("5", "needs a string 'question'"),
    ('{"question": "x", "answerable": true, "answers": "9999亿元"}', "list of strings"),
    ("{bad json", "not JSON"),
])
def test_a_bad_gold_file_names_its_line(fake_index, tmp_path, line, problem):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"question": "白云区2026年固投目标是多少", "answerable": true, "answers": ["1400亿元"]}\n'
                    + line + "\n", encoding="utf-8")
    run = gzqa("eval", str(gold), "--index-dir", str(fake_index))
    assert run.returncode == 1 and f"{gold}:2:" in run.stderr and problem in run.stderr and "Traceback" not in run.stderr


def test_a_chunk_that_opens_on_another_city_answers_no_question_about_guangzhou(stored):
    answer = ask(stored, "2024年广州市市长是谁")
    assert not (answer.answered and "茂名" in answer.text)


def test_the_year_flag_says_it_overrode_the_question(stored):
    answer = ask(stored, "白云区2026年固投目标是多少", year=2024)
    assert answer.answered and "1410亿元" in answer.text and "按指定的2024年回答" in answer.note


def test_bad_k_is_a_usage_error_of_ask(fake_index):
    run = gzqa("ask", "白云区固投", "-k", "1000", "--index-dir", str(fake_index))
    assert run.returncode == 2 and "gzqa ask" in run.stderr and "between 1 and 20" in run.stderr


def test_the_answer_window_holds_the_figure_right_after_the_asked_words(stored):
    answer = ask(stored, "广州颠覆性技术创新园计划总投资多少")  # not the park's output, 17.8亿元
    words = answer.text if answer.answered else answer.nearest.text  # the fake encoder leaves it below the threshold
    assert "30亿元" in words and "17.8亿元" not in words


def test_last_year_falls_back_to_a_reports_own_past_year_and_says_so(stored):
    answer = ask(stored, "天河区去年经济总量达到多少")
    assert answer.answered and "6500亿元" in answer.text and "2023年" in answer.note


def test_a_figure_the_question_gives_must_be_stated_by_the_answering_passage(stored):
    from qa.binding import figure_missing
    from qa.question import parse

    given = parse("规上工业总产值突破8600亿是哪个区今年的目标")
    assert not figure_missing(given, "规上工业总产值突破8600亿，引进优质产业项目500个以上")
    assert figure_missing(given, "规上工业总产值增长10%以上，跨越2500亿元关口")
    assert figure_missing(given, "规上工业总产值突破18600亿")  # inside a longer number: not the one given
    assert not figure_missing(parse("白云区2026年固投目标是多少"), "完成固投1400亿元")  # a year is no given figure
    answer = ask(stored, "规上工业总产值突破8600亿是哪个区今年的目标")
    assert answer.answered and "8600亿" in answer.text and "黄埔" in answer.text
    nowhere = ask(stored, "规上工业总产值突破9700亿是哪个区今年的目标")  # no passage states 9700亿
    assert not nowhere.answered and nowhere.nearest.reason == "这段话里没有问题中给出的数字"


def test_a_round_figure_in_words_is_a_figure_and_idioms_are_not(stored):
    from qa.shapes import figures, has_figure

    said = "2024年广州研发经费投入将超千亿元，投入强度突破3.5%；力争全年获批国家、省重大科技项目超百项"
    assert [m.group() for m in figures(said)] == ["超千亿元", "突破3.5%", "超百项"]
    assert has_figure(said, "元") and has_figure(said, "项")
    for idiom in ("千家万户", "千方百计", "打造千亿级产业集群", "百强区", "实施千人计划", "万元GDP能耗", "亿元以上企业"):
        assert figures(idiom) == [], idiom
    assert not has_figure("增长5%，万元GDP能耗下降", "元")  # a unit after a figure, not a figure of 元
    answer = ask(stored, "2024年广州研发经费大概要投多少钱")  # asked in 元, said in words: 超千亿元
    assert answer.answered and answer.figure == "超千亿元"


def test_a_years_result_asked_is_not_answered_by_its_target_nor_by_another_years_result(stored):
    from qa.question import parse

    assert parse("天河区2024年GDP最后实际完成了多少").asks_result
    assert parse("广州市2023年地区生产总值达到了多少？").asks_result
    assert not parse("2024年广州城中村改造力争全年形成多少投资实际工作量？").asks_result  # 实际 inside a target's name
    assert not parse("白云区2026年固投目标是多少").asks_result
    target = ask(stored, "2024年广州研发经费实际投入了多少？")  # "2024年…将超千亿元" is the year's target
    assert not target.answered and "超千亿元" not in (target.text or "")
    other_year = ask(stored, "天河区2024年全年地区生产总值实际完成了多少")  # "突破6500亿元" is 2023's, said in 2024
    assert not other_year.answered
    result = ask(stored, "天河区2023年地区生产总值实际达到多少？")
    assert result.answered and "6500亿元" in result.text


def test_a_figure_of_another_thing_whose_own_words_hold_little_of_the_question_cannot_answer(stored):
    from qa.answer import prepare
    from qa.decide import candidates
    from qa.retrieve import ranking

    q, _ = prepare(stored, "花都区2024年地区生产总值总量目标是多少亿元")  # only the growth is said: 不低于4%
    found = candidates(stored, q, ranking(stored, q).answering())
    other = [c for c in found if c.extract.figure == "680亿元"]  # "…，固定资产投资680亿元": 固投's amount
    assert other and all(c.vetoed == "share" and c.confidence == 0.0 for c in other)
    assert not ask(stored, "花都区2024年地区生产总值总量目标是多少亿元").answered


def test_aliases_of_two_sets_and_land_asked_as_an_area(stored):
    from qa.question import parse

    assert parse("广州2024年打算新拿出多少地给工厂用").unit == "平方米"  # answered in 亩 (same dimension)
    assert parse("广州有多少地方").unit is None
    answer = ask(stored, "广州2024年修路架桥这些基础设施上要投多少")  # 基础设施 ~ 基建
    words = answer.text if answer.answered else answer.nearest.text
    assert "2600亿基建" in words


def test_eval_says_whether_the_highlighted_figure_is_the_expected_one(stored, tmp_path):
    from qa.evaluate import evaluate

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"question": "白云区2026年固投目标是多少", "answerable": True,
                                "answers": ["1400亿元"]}, ensure_ascii=False) + "\n"
                    + json.dumps({"question": "白云区2026年固投增长多少", "answerable": True,
                                  "answers": ["1400亿元"]}, ensure_ascii=False) + "\n"  # the words hold it, not shown
                    + json.dumps({"question": "2026年广州市高质量发展大会上讲话的市委书记是谁", "answerable": True,
                                  "answers": ["冯忠华"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    summary, results = evaluate(stored, gold)
    assert [r["figure1"] for r in results] == [True, False, None]  # a name is no figure
    assert results[1]["answer1"] and summary["figure@1"] == 0.5
