"""Facts: extraction from handwritten sentences and the real seeds, the gold sample, the index hook, the CLI, comparisons."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from index.facts import Fact, extract, extract_all
from index.meta import describe
from scripts.eval_facts import GOLD, corpus_facts, score
from tests.conftest import ROOT

BAIYUN_2026, BAIYUN_2024 = "003_ceb711fc79301318.txt", "000_9ea15003a87d280f.txt"
MIN_PRECISION, MIN_RECALL = 0.95, 0.90  # the bar, on the hand-checked gold


def facts_of(text: str, source: str = "t.txt") -> list[Fact]:
    return extract(describe(source, text, "0" * 64))


def rows(facts: list[Fact]) -> list[tuple]:
    return [(f.place, f.year, f.indicator, f.value, f.unit, f.kind, f.qualifier, f.status) for f in facts]


def test_a_sentence_listing_several_indicators_gives_one_row_per_figure_bound_to_its_indicator():
    text = ("# 广州市召开2026年高质量发展大会\n\n今年是“十五五”开局之年。\n\n"
            "白云区委书记表示，白云今年将推动GDP增长5.5%，完成固投1400亿元，增长5%以上，规上工业、社零增长5%。\n")
    assert rows(facts_of(text)) == [
        ("白云区", 2026, "地区生产总值", 5.5, "%", "rate", "", "target"),
        ("白云区", 2026, "固定资产投资", 1400.0, "亿元", "amount", "", "target"),
        ("白云区", 2026, "固定资产投资", 5.0, "%", "rate", "以上", "target"),
        ("白云区", 2026, "规上工业", 5.0, "%", "rate", "", "target"),
        ("白云区", 2026, "社会消费品零售总额", 5.0, "%", "rate", "", "target"),
    ]


def test_respectively_pairs_lists_and_counts_bind_the_noun_after_them():
    text = ("# 花都区2026年目标\n\n今年是“十五五”开局之年。\n\n花都区将力促新型储能、美妆产业规模突破200亿元、450亿元，"
            "分别增长20%、10%；全年新增十个概念验证中心、百个成果应用场景。\n")
    got = [(f.indicator, f.figure, f.kind) for f in facts_of(text)]
    assert got == [("新型储能", "突破200亿元", "amount"), ("美妆产业规模", "450亿元", "amount"),
                   ("新型储能", "20%", "rate"), ("美妆产业规模", "10%", "rate"),
                   ("概念验证中心", "十个", "count"), ("成果应用场景", "百个", "count")]


def test_the_place_is_in_the_city_the_article_speaks_of():
    shenzhen = ("# 深圳市召开高质量发展大会\n\n深圳市委书记表示，深圳今年要拼经济。深圳南山区今年将推动地区生产总值增长6%。"
                "深圳市南山区固定资产投资增长10%。宝安区将推动规上工业总产值增长6%。\n")
    found = facts_of(shenzhen)
    assert {(f.place, f.city) for f in found if f.indicator in ("地区生产总值", "固定资产投资")} == {("南山区", "深圳市")}
    assert [(f.place, f.city) for f in found if f.indicator == "规上工业总产值"] == [("宝安区", "深圳市")]
    guiyang = "# 贵阳市白云区推进会\n\n贵阳市白云区今年将推动地区生产总值增长7%。贵阳市今年新增项目30个。\n"
    assert [(f.place, f.city) for f in facts_of(guiyang) if f.indicator == "地区生产总值"] == [("白云区", "贵阳市")]


def test_years_named_in_the_text_and_results_of_the_past_year():
    text = ("# 荔湾区2024年高质量发展大会\n\n新中国成立75周年。\n\n2024年，荔湾区将聚焦实体经济，力争到2027年，"
            "规上工业总产值达到560亿元。\n\n在过去一年，荔湾区地区生产总值突破1000亿元。\n")
    assert [(f.year, f.indicator, f.status, f.qualifier) for f in facts_of(text)] == [
        (2027, "规上工业总产值", "target", "力争、达到"), (2023, "地区生产总值", "result", "突破")]


def test_a_fact_cites_its_lines_and_quotes_its_clause_verbatim():
    for f in corpus_facts():
        text = (ROOT / "seeds" / f.source).read_text(encoding="utf-8")
        assert text[f.char_start:f.char_end] == f.figure
        raw = "".join(line.strip() for line in text.split("\n")[f.lines[0] - 1:f.lines[1]])
        assert f.clause.replace(" ", "") in raw.replace(" ", ""), f
        assert Fact.from_json(json.loads(json.dumps(f.to_json(), ensure_ascii=False))) == f


def test_precision_and_recall_on_the_hand_checked_gold():
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(gold) >= 150 and len({g["source"] for g in gold}) == 5
    result = score(corpus_facts(), gold)
    assert result["precision"] >= MIN_PRECISION, result["wrong"]
    assert result["recall"] >= MIN_RECALL, result["missed"]


def test_the_build_stores_facts_checked_by_the_manifest(fake_index):
    from index import store

    stored = store.load(fake_index)
    assert "facts.jsonl" in stored.manifest["files"]
    assert len(stored.facts()) > 150
    assert list(stored.facts()) == extract_all(list(stored.articles.values()))


def test_a_damaged_facts_file_is_an_error_naming_the_fix(tmp_path):
    from index import store
    from index.build import update

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(ROOT / "seeds" / BAIYUN_2026, seeds)
    update(seeds, tmp_path / "index", model="fake-hashing")
    facts_file = (tmp_path / "index").resolve() / "facts.jsonl"
    facts_file.write_text(facts_file.read_text(encoding="utf-8").replace("1400", "1500"), encoding="utf-8")
    with pytest.raises(store.IndexCorrupt, match="facts.jsonl.*gzqa index build --force"):
        store.load(tmp_path / "index")


def test_a_new_article_s_facts_appear_after_update_and_only_it_is_read_again(seeds_copy, tmp_path, monkeypatch):
    from index import facts, store
    from index.build import update
    from qa.facts import select

    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model="fake-hashing")
    assert select(store.load(index_dir).facts(), place="从化", year=2026) == []
    (seeds_copy / "从化区2026年大会.txt").write_text(
        "# 从化区召开2026年高质量发展大会\n\n今年是“十五五”开局之年。\n\n从化区委书记表示，从化今年将推动地区生产总值增长5%，"
        "完成固投260亿元、增长8%。\n", encoding="utf-8")
    read: list[str] = []
    original = facts.extract
    monkeypatch.setattr(facts, "extract", lambda article: read.append(article.source) or original(article))
    before = store.load(index_dir).facts()
    report = update(seeds_copy, index_dir)
    assert read == ["从化区2026年大会.txt"]  # the five unchanged articles keep their rows
    assert [f for f in store.load(index_dir).facts() if f.source != "从化区2026年大会.txt"] == list(before)
    assert report.added == ("从化区2026年大会.txt",) and report.embedded < report.chunks
    got = select(store.load(index_dir).facts(), place="从化", year=2026, indicator="固投")
    assert [(f.figure, f.source, f.lines) for f in got] == [("260亿元", "从化区2026年大会.txt", (5, 5)),
                                                          ("8%", "从化区2026年大会.txt", (5, 5))]


def run_cli(capsys, *argv: str) -> str:
    from ui.cli import main

    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_cli_facts_lists_every_district_of_the_2026_report_with_a_figure_for_fixed_investment(fake_index, capsys):
    out = run_cli(capsys, "facts", "--year", "2026", "--indicator", "固投", "--index-dir", str(fake_index))
    lines = out.splitlines()
    assert {line.split()[0] for line in lines[1:]} == {"南沙区", "白云区", "海珠区", "天河区", "黄埔区"}
    assert all(BAIYUN_2026 in line and "行" in line for line in lines[1:])
    from ui.facts_view import width

    starts = {width(line[:line.index("003_")]) for line in lines[1:]} | {width(lines[0][:lines[0].index("出处")])}
    assert len(starts) == 1  # the citation column lines up under its header, CJK counted double


def test_cli_facts_filters_by_any_form_and_prints_json_or_csv(fake_index, capsys):
    out = run_cli(capsys, "facts", "--place", "白云", "--indicator", "固定资产投资", "--kind", "amount", "--json",
                  "--index-dir", str(fake_index))
    got = [json.loads(line) for line in out.splitlines()]
    assert [(g["year"], g["figure"], g["source"], g["lines"]) for g in got] == [
        (2024, "突破1410亿元", BAIYUN_2024, [41, 41]), (2026, "1400亿元", BAIYUN_2026, [59, 59])]
    out = run_cli(capsys, "facts", "--place", "住房和城乡建设局", "--year", "2026", "--csv", "--index-dir", str(fake_index))
    table = list(csv.DictReader(io.StringIO(out)))
    assert {r["place"] for r in table} == {"住建局"} and {"2200亿元", "15%"} <= {r["figure"] for r in table}
    assert "超5000亿元" not in {r["figure"] for r in table}  # that one is for 2030


def test_comparison_is_answered_with_both_citations_and_the_difference_computed(fake_index):
    from index import store
    from qa.answer import ask

    answer = ask(store.load(fake_index), "白云区2026年固投目标比2024年多还是少")
    assert answer.answered and answer.figure == "少10亿元"
    assert "1400亿元" in answer.text and "1410亿元" in answer.text
    assert [(c.source, c.lines) for c in answer.citations] == [(BAIYUN_2026, (59, 59)), (BAIYUN_2024, (41, 41))]
    assert [(r.label, r.figure, r.citation) for r in answer.table] == [("2026年", "1400亿元", 1), ("2024年", "突破1410亿元", 2)]
    assert "计算得出" in answer.computed
    assert answer.to_json()["table"][0]["citation"] == 1


def test_ranking_cites_every_row_and_names_the_districts_without_a_figure(fake_index):
    from index import store
    from qa.answer import ask

    answer = ask(store.load(fake_index), "2026年哪个区GDP增速目标最高")
    assert answer.answered
    assert [(r.place, r.figure, r.rank) for r in answer.table] == [
        ("海珠区", "6%", 1), ("南沙区", "6%以上", 1), ("白云区", "5.5%", 3), ("花都区", "5.5%", 3),
        ("天河区", "5%以上", 5), ("黄埔区", "5%以上", 5)]
    assert all(answer.citations[r.citation - 1].section == r.place for r in answer.table)
    assert "越秀区、荔湾区、番禺区、从化区、增城区" in answer.note


def test_a_comparison_with_one_side_missing_says_which(fake_index):
    from index import store
    from qa.answer import ask

    answer = ask(store.load(fake_index), "从化区2026年固投目标比2024年多还是少")
    assert not answer.answered
    assert "没有从化区2026年" in answer.note and "230亿元" in answer.note
    assert [r.figure for r in answer.table] == [None, "达230亿元"]


def test_other_questions_still_go_to_retrieval(fake_index):
    from index import store
    from qa.answer import ask

    answer = ask(store.load(fake_index), "白云区2026年固投目标是多少")
    assert answer.answered and answer.figure == "1400亿元" and answer.table == ()


def test_the_comparison_grid_never_fills_a_year_from_another(fake_index):
    from index import store
    from qa.facts import comparison_grid, select

    facts = select(store.load(fake_index).facts(), indicator="固投", kind="amount")
    years, grid = comparison_grid(facts, years=(2024, 2026))
    cells = {r.place: tuple(c.figure if c else None for c in r.cells) for r in grid if r.indicator == "固定资产投资"}
    assert years == (2024, 2026)
    assert cells["白云区"] == ("突破1410亿元", "1400亿元") and cells["从化区"] == ("达230亿元", None)


def test_comparisons_take_the_kind_the_question_asks_and_the_report_s_own_indicators(fake_index):
    from index import store
    from qa.answer import ask

    stored = store.load(fake_index)
    rates = ask(stored, "白云区2026年固投增速目标比2024年高还是低")
    assert rates.answered and rates.figure == "低11个百分点" and rates.computed.startswith("5% − 16% = −11个百分点")
    visitors = ask(stored, "花都区2026年游客目标比2024年多还是少")  # a count, and 2024 gives none
    assert not visitors.answered and "没有花都区2024年的游客目标" in visitors.note
    assert [r.figure for r in visitors.table] == ["超2500万人次", None]
    own = ask(stored, "住建局2026年城市更新投资比2024年多还是少")  # an indicator in the report's own words
    assert [r.figure for r in own.table] == ["2200亿元", None]
    undated = ask(stored, "哪个区GDP增速目标最高")
    assert undated.years == (2026,) and "按有数字的最新年份2026年" in undated.note


def test_cli_ask_shows_a_comparison_with_both_citations(fake_index, capsys):
    out = run_cli(capsys, "ask", "白云区2026年固投目标比2024年多还是少", "--index-dir", str(fake_index))
    assert "少10亿元" in out and "计算: 1400亿元 − 1410亿元 = −10亿元" in out
    assert "2026年: 1400亿元  [1]" in out and "2024年: 突破1410亿元  [2]" in out
    assert f"{BAIYUN_2026} 第59行" in out and f"{BAIYUN_2024} 第41行" in out
    got = json.loads(run_cli(capsys, "ask", "--json", "2026年哪个区GDP增速目标最高", "--index-dir", str(fake_index)))
    assert [(r["place"], r["rank"], got["passages"][r["citation"] - 1]["lines"]) for r in got["table"]][:2] == [
        ("海珠区", 1, [83, 83]), ("南沙区", 1, [51, 51])]


def test_two_places_in_one_year_compare_in_the_question_s_order(fake_index):
    from index import store
    from qa.answer import ask

    answer = ask(store.load(fake_index), "白云区和天河区2026年固投增速目标哪个高")
    assert [(r.label, r.figure) for r in answer.table] == [("白云区", "5%以上"), ("天河区", "10%以上")]
    assert answer.figure == "低5个百分点"


def test_an_index_let_go_takes_its_facts_grouping_with_it(fake_index):
    """qa.facts.facts_of groups an index's facts by article once; a server that publishes an update lets the old
    index go, and its grouping must go with it (memory per update, not growing)."""
    import gc

    from index import store
    from qa import facts

    before = len(facts._BY_SOURCE)
    stored = store.load(fake_index)
    source = next(iter(stored.articles))
    assert [f.source for f in facts.facts_of(stored, source)] and all(
        f.source == source for f in facts.facts_of(stored, source))
    assert len(facts._BY_SOURCE) == before + 1
    del stored
    gc.collect()
    assert len(facts._BY_SOURCE) == before
