"""Questions as people type them: traditional characters, pinyin, homophone slips, unknown names; and
the answer decision saying what it believes (confidence, the nearest rejected words and why)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from index.store import load
from index.tokenize import normalise, tokens
from qa.answer import ask
from qa.calibration import NAMES, REASONS, THRESHOLD, WEIGHTS, confidence, why
from qa.shapes import says
from index.records import Chunk
from qa.binding import answers_kind, lead
from qa.signals import Signals, signals
from qa.question import parse
from qa.spelling import by_pinyin, read_slips
from ui.html import answer_card
from ui.terminal import answer_text


@pytest.fixture(scope="module")
def stored(fake_index):
    return load(fake_index)


def test_normalise_reads_traditional_full_width_and_marks_inside_words():
    assert normalise("番禺區2024年規上工業總產值") == "番禺区2024年规上工业总产值"
    assert normalise("ＧＤＰ　固·投") == "GDP 固投"
    assert normalise("白 云 区") == "白云区" and normalise("天河 区") == "天河区"
    assert normalise("黄埔 区长") == "黄埔 区长"  # two words stay two words
    assert tokens("從化區固定資產投資") == tokens("从化区固定资产投资")


@pytest.mark.parametrize("typed, meant", [("Tianhe区", "天河"), ("panyu", "番禺"), ("Huángpǔ", "黄埔"),
                                          ("zengcheng", "增城"), ("Tian he", "天河"), ("liwanqu", "荔湾")])
def test_pinyin_spells_a_district(typed, meant):
    assert by_pinyin(typed) == meant


@pytest.mark.parametrize("typed, read", [
    ("天和区2026年GDP增速目标", "天河区2026年GDP增速目标"),  # homophone
    ("黄浦区2026年固投", "黄埔区2026年固投"),  # homophone that is also a word elsewhere, before 区
    ("白去区2026年固投", "白云区2026年固投"),  # near-form: the head right, not a word
    ("花度2026年GDP", "花都2026年GDP"),  # bare homophone that is no word
])
def test_slips_are_read_as_the_district(typed, read):
    text, readings = read_slips(typed)
    assert text == read and readings


@pytest.mark.parametrize("text", ["南山区GDP", "从全区看", "年度计划投资多少", "中心城区", "白天区"])
def test_words_that_only_look_like_slips_stay(text):
    assert read_slips(text) == (text, ())


def test_a_slip_answers_and_the_note_says_how_it_was_read(stored):
    answer = ask(stored, "天和区2026年GDP增速目标是多少")
    assert answer.answered and "5%" in answer.text
    assert "按“天河区”理解" in answer.note and "天和区" in answer.note
    traditional = ask(stored, "番禺區2024年規上工業總產值目標")
    assert traditional.answered and traditional.citations[0].source == "000_9ea15003a87d280f.txt"


def test_a_name_that_does_not_resolve_is_never_dropped(stored):
    answer = ask(stored, "panyou 2024年固定资产投资增长多少")
    assert not answer.answered and "panyou" in answer.note
    assert ask(stored, "panyu 2024年固定资产投资增长多少").note.startswith("按“番禺区”理解")


def test_answer_json_has_confidence_and_the_nearest_rejected_words(stored):
    answered = ask(stored, "白云区2026年固投目标是多少").to_json()
    assert 0.5 <= answered["confidence"] <= 1 and answered["nearest"] is None
    refused = ask(stored, "2026年海珠区固定资产投资额是多少亿元")  # the report gives its growth, not its amount
    assert not refused.answered
    near = refused.to_json()["nearest"]  # a sum in 亿元, but another indicator's: only part of what is asked
    assert near["text"] == "产值突破600亿。" and near["why"] == REASONS["window"] and 0 < near["confidence"] < THRESHOLD
    assert near["text"] in refused.citations[near["citation"] - 1].text
    assert "最接近的说法" in answer_text(refused) and "最接近的说法" in answer_card(refused)
    assert "置信度" in answer_card(ask(stored, "白云区2026年固投目标是多少"))
    json.dumps(refused.to_json(), ensure_ascii=False)


def test_confidence_grows_with_each_positive_signal():
    base = Signals(0.5, 0.5, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for name in NAMES:
        if WEIGHTS[name] <= 0:  # rank, share; bound ≈ 0
            continue
        better = Signals(**{**base.__dict__, name: 1.0})
        assert confidence(better) >= confidence(base) - 1e-9, name
    assert set(WEIGHTS) == set(NAMES)
    assert confidence(Signals(**{**base.__dict__, "missing": 1.0})) < confidence(base)  # what is asked, unnamed
    assert why(Signals(1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0)) == REASONS["kind"]  # no unit asked: not a reason


def test_a_share_is_not_its_indicator():
    text = "全年社零额增长不低于5.5%，批零餐饮业占GDP比重不低于15%。"
    assert "占GDP比重" in lead(text, text.index("15%"))
    assert lead(text, text.index("5.5%")).startswith("全年社零额")


def test_an_indicator_named_within_the_asked_one_is_not_another():
    from qa.binding import foreign_indicator
    spending = parse("2024年广州在科研开发上准备投入多少资金？")  # 科研开发 is 研发; 研发经费投入 is a kind of it
    assert not foreign_indicator(spending, "2024年广州研发经费投入将超")
    assert foreign_indicator(parse("2024年广州GDP增长多少？"), "全年社零额增长")


def test_a_figure_is_said_of_what_these_reports_list_before_it():
    listed = "南沙将努力实现地区生产总值、社消零总额、固定资产投资、规上工业产值均增长6%以上。"
    assert "地区生产总值、社消零总额" in lead(listed, listed.index("6%"))  # 均: every item of the 、-list
    went_on = "固定资产投资额超830亿元、增长18%以上,社会消费品零售总额超2200亿元"
    assert lead(went_on, went_on.index("18%")).startswith("固定资产投资额")  # the rate continues 固投's figure
    assert lead(went_on, went_on.index("2200")) == "社会消费品零售总额超"
    both_over = "工业投资、技改投资增速均超20%"
    assert lead(both_over, both_over.index("超20%")).startswith("工业投资")  # 均 right before the figure
    for inside in ("固定资产投资、人均GDP增长5%", "广佛同城化、广州都市圈投资增长5%"):  # 均/都 inside a word
        assert "、" not in lead(inside, inside.index("5%"))
    counted = "拥有1.3万家高新技术企业、165万名高校学生、374万名技能人才"
    assert lead(counted, counted.index("374")) == ""  # a count comes before the thing it counts: a new item
    both = "GDP增长5%、社零增长6%"
    assert lead(both, both.index("6%")) == "社零增长"  # an item that names its own indicator stays its own
    q = parse("2024年天河区社会消费品零售总额增长率目标是多少")
    s = signals(q, Chunk("c", "s.txt", (), went_on, 1, 1, 0, len(went_on)), 1.0, 1.0, 0, went_on, "18%以上", 1.0, lambda t: 1.0, True)
    assert s.share == 1.0  # 固投's growth is not 社零's


@pytest.mark.parametrize("text, expected, found", [("增长15%", "5%", False), ("增长2.5%", "5%", False),
                                                   ("增长5%以上", "5%", True), ("5%", "5%", True)])
def test_grading_is_boundary_aware(text, expected, found):
    assert says(text, expected) is found


def test_pinyin_among_other_latin_words_and_english_only():
    assert read_slips("GDP panyu 2024年") == ("GDP 番禺区 2024年", (("panyu", "番禺区"),))
    assert read_slips("What is Baiyun GDP target") == ("What is Baiyun GDP target", ())


def test_bad_input_still_gets_a_clear_answer(stored):
    english = ask(stored, "What is the GDP target of Baiyun")
    assert not english.answered and "请用中文提问" in english.note


def test_meaning_compares_question_and_words_in_the_index_model(stored):
    """qa.meaning (the --meaning trial of scripts/fit_answer.py): the index's own encoder, or one made from its
    manifest for a backend that keeps none; the words themselves are nearest to the question."""
    from types import SimpleNamespace

    from qa.meaning import similarities

    question = "白云区固定资产投资目标"
    texts = [question, "新开工100万方科创载体", ""]
    own = similarities(stored, question, texts)
    assert own[0] == pytest.approx(1.0, abs=1e-5) and own[1] < own[0]
    made = similarities(SimpleNamespace(manifest=stored.manifest), question, texts)
    assert made == pytest.approx(own, abs=1e-6)
    assert similarities(stored, question, []) == []


# How a question's words are read: measure words, the measure asked, a report's own past year, titles, pinyin words.

@pytest.mark.parametrize("text, unit", [("165万名高校学生", "人"), ("超71万户市场主体", "家"), ("100万辆", "台"),
                                        ("20栋商务楼宇", "座")])
def test_a_measure_word_counting_the_same_things_answers(text, unit):
    from qa.shapes import has_figure

    assert has_figure(text, unit)
    assert not has_figure("增长5.5%", unit)
    assert has_figure("在校高校学生165万名", "万人")  # "多少万人": the figure's own 万 is read
    assert not has_figure("位居全国第2位", "人")  # a rank, not a count


def test_what_the_question_asks_for():
    from qa.question import parse

    shares = parse("2024年广州希望批发、零售这几个行业在经济总量里占多大份额")
    assert shares.unit is None and shares.measure == "rate"  # "这几个" points, it does not ask how many
    assert parse("2024年广州地区生产总值增长目标是多少").measure == "rate"  # not the "总值" in the indicator's name
    assert parse("2024年天河区社会消费品零售总额增长多少").measure == "rate"
    assert parse("2026年白云区固投增长多少亿元").measure == "amount"
    assert parse("那条创新轴有多长").wants == "number"
    assert parse("2024年广州面对多重压力采取了哪些措施").wants != "number"
    assert parse("2026年花都区地区生产总值总量目标是多少（不是增速）").measure == "amount"
    assert parse("2026年花都区地区生产总值目标是多少").measure is None  # "总值" is a name here, not a measure
    city = parse("2024年广东省高质量发展大会在哪座城市召开")
    assert city.wants == "place" and parse("在哪个城市开的").wants == "place"
    assert not answers_kind(city, "广东第二年在农历新春的第一个工作日召开高质量发展大会")  # a province, no city
    assert answers_kind(city, "广东省高质量发展大会在深圳召开")
    assert parse("2024年哪个城区GDP最高").wants != "place"  # a district, not a city


def test_a_threshold_asks_an_amount_and_a_dimension_its_units():
    from qa.question import parse
    from qa.shapes import has_figure

    for question in ("2023年广州全市经济盘子迈过了哪道坎", "天河区2024年全区产出体量要越过哪道关口",
                     "2026年花都区规上工业总产值要跨过多少", "2024年GDP要迈上哪个台阶"):
        q = parse(question)
        assert (q.wants, q.measure) == ("number", "amount"), question  # "突破6500亿元", not "增长10%"
    assert "跨越" in parse("规上工业总产值要跨越哪个关口").terms  # a report's own word ("跨越2500亿元关口")
    assert parse("那条创新带有多长").unit == "公里" and parse("用了多长时间达到100万辆").unit is None
    assert parse("基地占地多大").unit == "平方米" and parse("投入计划多少钱").unit == "元"
    assert has_figure("全长约100公里", "公里") and not has_figure("规划建设面积约40万平方米，计划总投资30亿元", "公里")
    assert has_figure("占地面积约100亩", "平方米") and has_figure("规划总投资40亿元", "元")


def test_a_part_asked_that_the_words_never_name_is_not_answered_by_the_whole():
    from qa.binding import part_missing, parts_named

    phase_two = parse("欣旺达电白基地二期的计划投资额是多少")
    assert part_missing(phase_two, "欣旺达电白基地占地面积约100亩，规划总投资40亿元，分两期建设。")  # the whole
    assert not part_missing(parse("基金首期规模多少"), "该基金规模达15亿元，首期3.5亿元。")
    assert not part_missing(parse("第一期产线年产能多少"), "一期产线完全达产后预计年产能300万套。")  # 第一期 = 一期
    assert not part_missing(parse("基金总规模是多少（不是首期）"), "该基金规模达15亿元")  # said not to be asked
    assert parts_named("十四五期间，同期，长期") == set()  # no phase
    assert not part_missing(parse("24年一季度广州开工了多少个项目"), "一季度，广州市共开工319个项目")
    capacity = "一期产线完全达产后预计年产能300万套。二期生产生活配套设施等建设正有序推进。"  # names 二期, but its
    assert part_missing(parse("欣旺达电白基地二期建成后年产能是多少？"), capacity, "300万套")  # figure is 一期's
    assert not part_missing(parse("欣旺达电白基地一期达产后年产能是多少？"), capacity, "300万套")


def test_a_reports_past_year_is_the_year_before_it():
    from qa.judge import year_matches
    from qa.question import parse

    said = Chunk("c", "s", (), "在过去一年,天河区地区生产总值突破6500亿元。", 1, 1, 0, 10)
    assert year_matches(parse("天河区2023年地区生产总值突破多少"), 2024, said)
    assert not year_matches(parse("天河区2022年地区生产总值突破多少"), 2024, said)
    compared = Chunk("c", "s", (), "天河区地区生产总值比上年增长5%，较去年同期提高。", 1, 1, 0, 10)
    assert not year_matches(parse("天河区2023年地区生产总值增长多少"), 2024, compared)


def test_the_words_must_name_the_indicator_or_title_asked():
    from qa.binding import indicator_missing
    from qa.question import parse

    assert indicator_missing(parse("2026年黄埔区工业投资目标是多少"), "固定资产投资增长5%以上")
    assert not indicator_missing(parse("2026年黄埔区固投目标是多少"), "固定资产投资增长5%以上")
    assert indicator_missing(parse("2026年黄埔区委书记是谁"), "黄埔区区长洗银崧表示")
    assert not indicator_missing(parse("2026年市商务局局长是谁"), "市商务局党组书记、局长洪谦介绍")
    assert not indicator_missing(parse("2024年广州城市长远发展的GDP目标是多少"), "地区生产总值增长5%")
    assert not indicator_missing(parse("2024年广州人工智能产业规模多少"), "人工智能产业规模超2000亿元")
    assert indicator_missing(parse("2024年广州AI产业规模多少"), "太古汇Taikoo Hui零售额增长")  # "ai" is a word


def test_a_slip_after_a_year_and_a_noun_after_how_many():
    from qa.spelling import read_slips
    assert read_slips("2024年番愚区固定资产投资增长目标是多少？")[1] == (("番愚区", "番禺区"),)  # jieba reads "年番"
    assert parse("24年一季度广州开工了多少项目啊").unit is None  # 项目 is counted in 个, not 项
    assert parse("2024年广州新增多少项专利").unit == "项" and parse("多少个项目").unit == "个"


def test_a_defined_term_holds_its_definition():
    from qa.coverage import coverage
    q = parse("2024年广州研发投入占地区生产总值的比重要突破多少？")
    said = "2024年广州研发经费投入将超千亿元，投入强度突破3.5%"
    held = coverage(q.terms, set(), lambda t: 1.0, said)
    assert held > 0.9 > coverage(q.terms, set(), lambda t: 1.0, "2024年广州研发经费投入将超千亿元，强度突破3.5%")
    assert parse("重点实验室落户在广州的占几成？").unit == "%"


def test_what_is_new_is_not_answered_by_a_stock():
    from qa.binding import stock_for_new
    new = parse("2024年广州全年计划新增多少家高新技术企业？")
    assert stock_for_new(new, "集聚了全省70%的重点实验室，拥有")
    assert not stock_for_new(new, "全年新增十个概念验证中心、百个成果应用场景、")
    assert not stock_for_new(parse("2024年广州有多少家高新技术企业？"), "拥有")


def test_a_count_of_something_not_asked_is_not_the_answer():
    from qa.binding import counts_other
    from qa.shapes import figures
    rice = "水稻种植基地分布台山5个乡镇共计2000余亩"
    assert counts_other(parse("台山那家公司一年能收多少稻谷？"), rice, rice.find("5个"), "5个")
    talent = "78家新型研发机构、165万名高校学生、374万名技能人才"
    assert not counts_other(parse("广州有多少在读大学生？"), talent, talent.find("165万名"), "165万名")  # synonyms
    assert not counts_other(parse("有多少名在读大学生？"), talent, talent.find("78家"), "78家")  # a unit asked decides
    renewal = "全年计划推进城市更新项目494个，完成固定资产投资1800亿元"  # nothing after it: the word before is counted
    assert counts_other(parse("2024年计划翻新多少处老街坊住宅区？"), renewal, renewal.find("494个"), "494个")
    assert not counts_other(parse("2024年计划推进多少城市更新项目？"), renewal, renewal.find("494个"), "494个")
    so_far = "城市更新项目累计494个，"  # a word before it is asked
    assert not counts_other(parse("城市更新项目有多少？"), so_far, so_far.find("494个"), "494个")
    assert [m.group() for m in figures("新增十个概念验证中心、千家高新技术企业，走进千家万户")] == ["十个", "千家"]


def test_a_lexicon_word_typed_in_pinyin_is_read():
    text, readings = read_slips("广州市kejiju 2026年要布局多少个概念验证中心")
    assert "科技局" in text and ("kejiju", "科技局") in readings
    assert read_slips("what is the GDP of Tianhe") == ("what is the GDP of Tianhe", ())  # English stays English
    assert read_slips("2024年广州AI、CBD、GDP、Canton的情况") == ("2024年广州AI、CBD、GDP、Canton的情况", ())
    assert read_slips("现场xianchang会议")[1] == ()  # read as 现场 is read, never as 省长
    # a run of pinyin words spelling one lexicon word, and a stop word typed in pinyin, are read too
    text, readings = read_slips("tianhe 2024 guding zichan touzi mubiao 多少")
    assert "天河区" in text and "固定资产投资" in text and "目标" in text
    assert ("guding zichan touzi", "固定资产投资") in readings
    assert read_slips("panyou 2024年固投目标")[1] == ()  # no word spelt so: a name, not read
    assert ("Dongguan", "东莞") in read_slips("三大科学城里Dongguan的是哪一个")[1]  # a city of the lexicon
    # all in pinyin: read when every word of it reads as Chinese; English stays English
    text, readings = read_slips("Huangpu 2026 gdp zengsu mubiao")
    assert text == "黄埔区 2026 gdp 增速 目标" and ("zengsu", "增速") in readings
    assert read_slips("What is the GDP target of Baiyun") == ("What is the GDP target of Baiyun", ())


def test_a_day_asked_finds_the_passage_that_gives_it(stored):
    answer = ask(stored, "2024年广州市高质量发展大会是哪天召开的")
    shown = [c.text for c in answer.citations[:3]]
    assert any("19日" in text for text in shown)


def test_a_date_is_no_quantity_and_a_duration_is():
    from qa.shapes import figures

    assert [m.group() for m in figures("去年12月27日投产，19日召开")] == []
    assert [m.group() for m in figures("审批压缩至15日内，用时4年零8个月")] == ["15", "4年", "8个"]


def test_an_ordinal_answers_which_one_and_a_date_under_another_year_does_not_date_the_meeting():
    from qa.binding import answers_kind, date_said
    from qa.question import parse

    assert answers_kind(parse("广东是第几年在农历新春第一个工作日开大会"), "广东第二年在农历新春的第一个工作日召开")
    asked = parse("2024年广东省高质量发展大会是几月几日召开的")
    assert date_said(asked, "这是自2023年1月28日广东省高质量发展大会举办之后") is None
    assert date_said(asked, "2月18日，农历新春第一个工作日").group() == "2月18日"
    assert "天" not in parse("2024年广州市高质量发展大会是哪天召开的").terms  # "哪天" asks, it names nothing


def test_what_the_question_says_it_does_not_ask_is_not_searched_for():
    q = parse("白云区2024年工业投资的增速目标是多少？（不是GDP或固投增速）")
    assert "工业投资" in q.terms and not {"gdp", "地区生产总值", "固投"} & set(q.terms) and q.measure == "rate"


def test_spoken_question_words_ask_as_written_ones():
    assert parse("亿航那个无人驾驶飞机啥时候商业首飞的").wants == "date"
    assert parse("天河区是啥时候开的大会").wants == parse("天河区是什么时候开的大会").wants
    assert parse("花都26年规上工业总产值要冲到多少啊").measure == "amount"  # reaching a level, not a growth rate


def test_a_place_jieba_cuts_apart_is_still_a_place():
    assert [p.name for p in parse("2024年萝岗区提出的地区生产总值增长目标是多少？").places] == ["萝岗区"]
    assert parse("哪个区提出要推出轻量化智能软件产品和服务1000个？").places == ()  # a question word, no place
    assert parse("2024年全区GDP增长多少").places == () and parse("在园区建设中投资多少").places == ()


def test_a_month_and_day_asked_is_not_answered_by_a_day_alone():
    from qa.binding import date_said
    text = "25日,在广州市高质量发展大会会场上。2月25日,广州举行全市高质量发展大会。"
    assert date_said(parse("广州2026年全市高质量发展大会是几月几号开的？"), text).group() == "2月25日"
    assert date_said(parse("广州2026年全市高质量发展大会是哪天开的？"), text).group() == "25日"


def test_a_share_does_not_answer_how_much_something_grows():
    from qa.binding import share_for_change
    assert share_for_change(parse("2024年荔湾区工业增加值增长目标是多少？"), "工业增加值占GDP比重达到")
    assert not share_for_change(parse("2024年荔湾区工业增加值占GDP比重目标是多少？"), "工业增加值占GDP比重达到")
    assert not share_for_change(parse("2024年荔湾区工业增加值增长目标是多少？"), "工业增加值增长")


def test_words_holding_nothing_asked_do_not_lead_the_answer():
    from qa.extract import answer_span
    passage = "花都区将力争地区生产总值全年增长5.5%、迈上2000亿元新台阶。规上工业总产值增长10%以上,跨越2500亿元关口,新招引项目。"
    found = answer_span(parse("花都区2026年规上工业总产值要跨过多少"), passage, lambda term: 1.0)
    assert found.text.startswith("规上工业总产值") and found.figure == "2500亿元"


def test_the_window_whose_figure_is_said_of_the_asked_words_answers(stored):
    from qa.extract import answer_span
    passage = next(chunk.text for chunk in stored.chunks if "计划总投资30亿元" in chunk.text)  # …"颠覆性技术创新的策源地"
    found = answer_span(parse("知识城那个颠覆性技术创新园总共投多少钱"), passage, stored.idf)
    assert found.figure == "30亿元"  # not the 17.8亿元 of the last clause, which holds the project's name


def test_a_passage_opening_on_a_past_year_speaks_of_that_year():
    from qa.judge import framed_year, year_matches
    past = Chunk("c", "a.txt", (), "在过去的2023年，广州地区生产总值突破3万亿元，一般公共预算收入增长5%。", 1, 1, 0, 10)
    assert framed_year(2024, past) == 2023
    assert not year_matches(parse("广州市2024年一般公共预算收入增长目标是多少？"), 2024, past)
    assert year_matches(parse("广州2023年一般公共预算收入增长多少"), 2024, past)
    event = Chunk("c", "a.txt", (), "2023年12月28日，亿航智能的无人驾驶航空器搭载乘客。", 1, 1, 0, 10)
    assert framed_year(2024, event) is None  # a day is when something happened, not the frame of a year's results



def test_words_of_the_corpus_typed_in_pinyin_are_read(stored):
    answer = ask(stored, "nansha 2026 gongying chanye yongdi 多少亩")  # words of no lexicon: the corpus's own
    assert answer.answered and "3500亩" in answer.text
    assert all(f"“{word}”" in answer.note for word in ("供应", "产业", "用地"))
    assert not ask(stored, "panyou 2024年固投目标").answered  # spelling nothing the corpus says: still a name


def test_what_only_looks_like_an_exclusion_a_place_a_frame_or_pinyin_is_read_as_meant(stored):
    from qa.binding import part_missing
    from qa.judge import framed_year
    from qa.spelling import read_corpus_pinyin
    assert parse("天河区2024年GDP是不是增长5%").measure == "rate"  # 是不是 asks, it does not exclude
    assert "增长" in parse("天河区2024年GDP是不是增长5%").terms
    assert parse("2024年城乡区域协调发展的目标是什么").places == ()  # 城乡 is a word, 区域 goes on
    assert read_corpus_pinyin("Made in China 广州", {"made": ("马德",)}, len) == ("Made in China 广州", ())
    both = Chunk("c", "a.txt", (), "2023年，全区地区生产总值增长4.6%。2024年，力争增长5%以上。", 1, 1, 0, 10)
    assert framed_year(2024, both) is None  # it goes on to its report's year
    phases = "欣旺达电白基地一期年产能300万套，二期建成后年产能300万套。"
    assert not part_missing(parse("欣旺达电白基地二期建成后年产能是多少"), phases, "300万套")


def test_a_unit_naming_what_is_counted_is_a_signal_and_plain_units_are_not():
    from qa.signals import names_unit

    assert names_unit(parse("广州24年准备筹建多少套卖给工薪家庭的政府房"), "1万套")  # the unit survives the paraphrase
    assert names_unit(parse("白云区登记在册的企业和个体户加起来有多少户"), "超71万户")
    assert not names_unit(parse("广州24年准备筹建多少套政府房"), "10万元")
    assert not names_unit(parse("2024年广州计划新建多少个普高入学名额"), "1593个")  # 个 counts anything
    assert not names_unit(parse("白云区2026年固投目标是多少亿元"), "1400亿元")  # so does 元
    assert not names_unit(parse("白云区2026年固投目标是多少"), "1400亿元")  # no unit asked


def test_a_list_of_items_followed_by_as_many_figures_is_read_item_by_item():
    from qa.binding import respective
    from qa.extract import pick_figure

    pair = "力促新型储能、美妆产业规模突破200亿元、450亿元"
    assert respective(pair, pair.index("450")) == "美妆产业规模" and lead(pair, pair.index("450")) == "美妆产业规模"
    assert pick_figure(parse("2026年白云区美妆产业规模目标是多少"), pair) == "450亿元"
    assert pick_figure(parse("2026年白云区新型储能产业规模目标是多少"), pair) == "突破200亿元"
    went_on = "固定资产投资额超830亿元、增长18%"  # a figure and its change: no list of items before them
    assert respective(went_on, went_on.index("18%")) is None
    counted = "大力实施“10个百亿、100个十亿、1000个一亿”的招商"  # items holding figures are no list of names
    assert all(respective(counted, m) is None for m in (counted.index("100个"), counted.index("1000个")))


def test_a_sum_in_yi_without_yuan_is_in_yuan_and_a_round_word_is_no_sum():
    from qa.shapes import has_figure

    assert has_figure("加大力度推进2600亿基建", "亿元") and has_figure("产值突破600亿。", "元")
    assert not has_figure("全力冲刺千亿投资", "亿元") and not has_figure("1.2亿人次", "亿元")
    assert not has_figure("3000亿级创投资金聚集区", "亿元")


def test_a_body_asked_at_a_level_is_not_the_other_levels():
    from qa.judge import place_matches

    for typed in ("2024年市发改委重点项目有几个", "24年市发改委盯着的重点项目有几个"):
        q = parse(typed, 2026)
        assert [p.level for p in q.places] == ["市"] and "市" not in q.terms and "年市" not in q.terms
    province = "省发展改革委党组书记、主任艾学峰表示，广东省今年安排重点建设项目1508个"
    city = "市发展改革委将聚焦1593个重点项目"
    q = parse("2024年市发改委重点项目有几个", 2026)
    assert not place_matches(q, Chunk("p", "p.txt", (), province, 1, 1, 0, len(province)))
    assert place_matches(q, Chunk("c", "c.txt", (), city, 1, 1, 0, len(city)))
    assert place_matches(parse("2024年省发改委主任是谁", 2026), Chunk("p", "p.txt", (), province, 1, 1, 0, len(province)))


def test_a_count_asked_is_said_of_the_things_after_it(stored):
    from qa.extract import answer_span

    passage = next(chunk.text for chunk in stored.chunks if "聚焦1593个重点项目" in chunk.text)  # … "储备度提高到150%以上"
    assert answer_span(parse("24年市发改委盯着的重点项目有几个", 2026), passage, stored.idf).figure == "1593个"


def test_output_value_is_not_capacity():
    q = parse("欣旺达电白基地项目全部达产后预计年产值多少")
    words = "一期产线完全达产后预计年产能300万套。"
    s = signals(q, Chunk("c", "s.txt", (), words, 1, 1, 0, len(words)), 1.0, 1.0, 0, words, "300万套", 1.0,
                lambda t: 1.0, True)
    assert s.share == 1.0 and s.missing == 1.0


def test_a_sum_of_money_asked_by_what_it_is_is_highlighted_in_yuan():
    from qa.extract import pick_figure
    from qa.question import asks_money

    words = "新一代信息技术、生物等4大类产业汇集项目370余个、年度投资额约1500亿元。"
    assert pick_figure(parse("2024年广东新一代信息技术、生物等4大类产业项目的年度投资额约多少"), words) == "约1500亿元"
    assert pick_figure(parse("2024年广东新一代信息技术、生物等4大类产业汇集了多少个项目"), words).startswith("370")
    assert asks_money(parse("欣旺达电白基地全部达产后预计年产值多少"))
    words = "欣旺达电白基地占地面积约100亩，规划总投资40亿元，分两期建设。"  # 总投资 is a sum, however near 100亩 is
    assert pick_figure(parse("茂名电白的欣旺达电白基地（欣捷安）项目规划总投资是多少？"), words) == "40亿元"
    for not_money in ("2024年广州研发经费投入强度目标", "海珠26年规上工业产值增多少啊", "白云区2026年固投增长目标"):
        assert not asks_money(parse(not_money))


def test_the_meeting_frames_a_question_that_does_not_ask_its_date_or_place():
    q = parse("2024年广州市高质量发展大会上代表南沙区发言的是谁？", 2026)
    assert q.terms == () and "高质量发展大会" in q.search_terms  # searched for, not required of the answer
    assert parse("2026年广州市高质量发展大会上提出的GDP目标", 2026).terms == ("gdp", "地区生产总值")
    assert "高质量发展大会" in parse("2024年广州市高质量发展大会是哪天召开的", 2026).terms  # its date asked: the subject


def test_a_list_joined_by_he_is_read_item_by_item_as_the_facts_table_reads_it():
    from qa.binding import respective

    joined = "力促新型储能和美妆产业规模突破200亿元、450亿元"
    assert respective(joined, joined.index("突破200")) == "新型储能"  # the clause's verb (力促) is no part of the item
    assert respective(joined, joined.index("450")) == "美妆产业规模"


def test_a_passage_answers_with_its_next_words_when_its_best_are_vetoed(stored):
    from qa.decide import OTHER_WINDOWS, candidates, owns_figure
    from qa.extract import answer_spans
    from qa.retrieve import ranking

    q = parse("2024年广州要给中小学阶段的公立学校新添多少个入学名额？", 2026)
    passage = next(chunk.text for chunk in stored.chunks if "增加基础教育公办学位7万个" in chunk.text)
    windows = list(answer_spans(q, passage, stored.idf, 1 + OTHER_WINDOWS))
    assert windows[0].figure == "100%"  # the most of the question's words, but not a count: vetoed
    assert "7万个" in [w.figure for w in windows[1:]]
    spans = [(w.start, w.start + len(w.text)) for w in windows]  # windows never overlap a better one
    assert all(b <= c or d <= a for n, (a, b) in enumerate(spans) for c, d in spans[n + 1:])
    # in the stored seeds, the education bureau's passage answers with those words, not "not found"
    hits = ranking(stored, q).answering()
    found = next(c for c in candidates(stored, q, hits) if "增加基础教育公办学位7万个" in c.hit.chunk.text)
    assert found.vetoed is None and found.extract.figure == "7万个" and owns_figure(found.signals)
    # other words stand in only when their figure is shown to be the asked thing's: said after asked words it holds,
    # or in a unit that names what is counted
    assert not owns_figure(replace(found.signals, window=0.0, unit=0.0))
    assert owns_figure(replace(found.signals, window=0.0, unit=1.0))


def test_a_place_only_the_corpus_knows_is_read_by_sound(stored):
    from qa.answer import prepare

    q, _ = prepare(stored, "茂名电百区欣旺达基地规划总投资多少")  # 电白区 is Maoming's: no lexicon word, the corpus's
    assert q.readings == (("电百区", "电白区"),) and "电白区" in q.text and "电百区" not in [p.name for p in q.places]
    q, _ = prepare(stored, "梅州梅将区博敏电子申请了多少项专利？")
    assert q.readings == (("梅将区", "梅江区"),)
    q, _ = prepare(stored, "电百区和电百的项目总投资")  # every form of the name is read, the bare stem too
    assert q.text.startswith("电白区和电白的")
    # a real place the corpus never names stays what it is: no homophone the corpus names as a place (长宁区 is not
    # 场主区, 拱墅区 not 工业区, 大兴区 not 大省区), a city of the lexicon, or a word of jieba's dictionary (兖州市)
    for real in ("深圳南山区", "长宁区", "拱墅区", "青山区", "大兴区", "济南市", "汕尾", "兖州市"):
        q, _ = prepare(stored, f"{real}2024年GDP增长目标是多少")
        assert q.readings == (), real
        assert not ask(stored, f"{real}2024年GDP增长目标是多少").answered, real
