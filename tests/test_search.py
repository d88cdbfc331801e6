"""Tokenizing, BM25 against rank-bm25 itself, RRF, question parsing, answer extraction."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from rank_bm25 import BM25Plus

from index import bm25, lexicon
from index.tokenize import tokens
from qa.extract import answer_span, pick_figure
from qa.fuse import rrf
from qa.question import QuestionError, parse


def test_abbreviations_meet_their_full_forms():
    for short, full in (("固投", "固定资产投资"), ("社零", "社会消费品零售总额"), ("GDP", "地区生产总值"),
                        ("规上", "规模以上"), ("研发投入", "研发经费投入"), ("高企", "高新技术企业"), ("技改", "技术改造")):
        assert set(tokens(short)) & set(tokens(full)), (short, full)


def test_districts_and_bodies_stay_whole():
    words = tokens("白云区委书记洪谦表示；广州市住房和城乡建设局局长")
    assert "白云区" in words and "住建局" in words and "住房和城乡建设局" in words


CORPUS = [tokens(t) for t in ("白云区完成固投1400亿元", "天河区固定资产投资增长10%", "南沙区地区生产总值增长6%",
                              "海珠区固定资产投资增长8%", "广州工业投资增长")]


def test_saved_bm25_scores_equal_a_fresh_rank_bm25(tmp_path: Path):
    bm25.save(bm25.fit(CORPUS), tmp_path)
    loaded = bm25.load(tmp_path)
    fresh = BM25Plus(CORPUS, k1=1.2, b=0.75, delta=1.0)
    query = list(dict.fromkeys(tokens("白云区固投")))
    scores = fresh.get_scores(query)
    assert [s for _, s in loaded.rank(query, 10)] == sorted((s for i, s in enumerate(scores)
                                                             if set(query) & set(CORPUS[i])), reverse=True)
    assert all(loaded.idf(t) == fresh.idf[t] for t in fresh.idf)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(bm25.FILES)  # JSON and .npy, no pickle


def test_bm25_rank_keeps_matching_chunks_only_and_common_terms_count():
    model = bm25.fit(CORPUS)
    ranked = bm25.rank(model, tokens("固定资产投资增长"), k=10)
    rows = [r for r, _ in ranked]
    assert 2 not in rows or ranked[-1][0] == 2  # only "增长" matches row 2: ranked last
    assert set(rows) >= {0, 1, 3}  # 固投 matches 固定资产投资 through the synonym
    assert model.idf("增长") > 0  # in more than half the chunks, still positive (BM25Plus)
    assert bm25.rank(model, ["不存在的词"], k=10) == []


def test_rrf_is_pinned():
    fused = rrf([["a", "b", "c"], ["b", "a", "d"]], k=60)
    assert [i for i, _ in fused] == ["a", "b", "c", "d"]  # a, b tie on score and best rank: by id
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert [i for i, _ in rrf([["x"], ["y"]])] == ["x", "y"]  # full tie: by id
    weighted = rrf([["x"], ["y"]], weights=[1.0, 2.0])
    assert weighted[0] == ("y", pytest.approx(2 / 61))
    with pytest.raises(ValueError):
        rrf([["x"]], weights=[1, 2])


def test_question_years_places_and_wants():
    q = parse("白云区2026年固投目标是多少", latest_year=2026)
    assert q.years == (2026,) and not q.year_assumed
    assert [p.name for p in q.places] == ["白云区"] and q.wants == "number"
    assert "固定资产投资" in q.terms and "白云区" not in q.terms
    assert parse("白云今年固投多少", latest_year=2026).years == (2026,)
    assert parse("白云今年固投多少", latest_year=2026).year_assumed
    assert parse("番禺区委书记叫什么").years == () and parse("番禺区委书记叫什么").wants == "person"
    assert [p.name for p in parse("市住房和城乡建设局局长是谁").places] == ["住建局"]
    # a bureau by its field and "部门" is the city's bureau, not the ministry whose name is inside it (住建部)
    assert [p.name for p in parse("2024年广州住建部门打算筹建多少套住房").places] == ["住建局"]
    assert [p.name for p in parse("住建部发布了什么").places] == ["住建部"]
    assert [p.name for p in parse("天河区发改部门提出什么").places] == ["天河区", "发改委"]
    # the city and the province named together: the city is asked of, the province is its frame ("全省70%")
    assert [p.name for p in parse("广州集聚了全省多少的重点实验室").places] == ["广州市"]
    assert [p.name for p in parse("2024年全省安排多少个重点项目").places] == ["广东省"]
    assert [p.name for p in parse("全广东的重点实验室有几成落户广州").places] == ["广州市"]
    assert [p.name for p in parse("广东和广州2024年的GDP目标各是多少").places] == ["广东省", "广州市"]  # both asked of
    assert parse("ＧＤＰ　增速").text == "GDP 增速"


@pytest.mark.parametrize("bad", ["", "   ", "？？！！", "😀😀", "问" * 10_000])
def test_unsearchable_questions_say_why(bad):
    with pytest.raises(QuestionError):
        parse(bad)


def test_answer_span_points_at_the_figure_of_the_asked_place():
    passage = ("广州市人大常委会副主任、天河区委书记陈加猛表示，今年该区固定资产投资额超830亿元、增长约18%。"
               "白云区委书记何镜清表示，将推动该区今年地区生产总值增长6.5%以上、总量突破3000亿元，"
               "固定资产投资增长16%以上、总量突破1410亿元；规上工业总产值增长6.5%以上。")
    q = parse("白云区2024年固投目标多少")
    idf = {t: math.log(5) for t in q.terms}
    span = answer_span(q, passage, lambda t: idf.get(t, 0.0))
    assert "1410亿元" in span.text and "830" not in span.text
    assert span.text in passage


def test_answer_span_completes_a_figure_with_its_short_continuation():
    passage = "白云今年将推动全年GDP向3500亿元迈进,增长5.5%,完成固投1400亿元,增长5%以上,规上工业、社零增长5%。"
    q = parse("白云区2026年固投目标是多少")
    span = answer_span(q, passage, lambda t: 1.0)
    assert span.text.startswith("完成固投1400亿元,增长5%以上") and span.figure == "1400亿元"


def test_answer_span_of_a_who_or_when_question_holds_a_person_or_a_date():
    # The meeting's name matches more of the question than the clause naming who chaired it; a passage's opening
    # words name nobody, and "首飞" is said in the clause after the date.
    meeting = ("2月25日,广州市委、市政府召开全市高质量发展大会,深入学习贯彻重要讲话精神,加快建设现代化产业体系。"
               "市委书记冯忠华讲话。市委副书记、市长孙志洋主持。")
    span = answer_span(parse("2026年广州市高质量发展大会由谁主持？"), meeting, lambda t: 1.0)
    assert "孙志洋主持" in span.text and span.text in meeting
    flight = "2023年12月28日，广州本土企业亿航智能自主研发的无人驾驶航空器搭载乘客，完成全球首次商业首飞。"
    span = answer_span(parse("亿航智能无人驾驶航空器完成商业首飞是哪一天？"), flight, lambda t: 1.0)
    assert span.text.startswith("2023年12月28日")
    # A who-question about what an official said keeps its words: the speaker named before them answers.
    said = "市委书记冯忠华讲话。冯忠华强调，要广兴工商实业，擦亮千年商都招牌。"
    assert "广兴工商实业" in answer_span(parse("谁提出要广兴工商实业"), said, lambda t: 1.0).text


def test_a_speaker_is_someone_named_not_a_body():
    from qa.shapes import TITLED_NAME, speaks
    assert speaks("冯忠华强调，今年是开局之年") and speaks("南沙区委副书记、区长吴扬表示")
    assert not speaks("大会强调，要全力推动南沙开发开放") and not speaks("相关负责人表示")
    assert TITLED_NAME.search("茂名市副市长、电白区委书记高雪山对记者表示")[0] == "区委书记高雪山"


def test_question_names_places_the_lexicon_does_not_know():
    nanshan = parse("深圳南山区2024年GDP目标")
    assert {(p.name, p.kind) for p in nanshan.places} == {("深圳市", "other"), ("南山区", "other")}
    assert ("卫健委", "other") in [(p.name, p.kind) for p in parse("广州市卫健委主任是谁").places]
    assert parse("南沙自贸区面积").places[0].name == "南沙区" and len(parse("南沙自贸区面积").places) == 1
    assert [p.name for p in parse("荔湾区三年把多少个老旧居住区微改造做完").places] == ["荔湾区"]  # a kind of area


def test_scopes_city_and_province():
    assert [p.name for p in parse("广州市发改委主任是谁").places] == ["发改委"]  # the city's own bureau
    assert {p.name for p in parse("省发改委主任是谁").places} == {"发改委", "广东省"}
    assert [p.name for p in parse("2024年全省大会有多少个市委书记参加").places] == ["广东省"]  # 市委 names no city


def test_question_asks_a_unit_a_measure_or_a_list():
    assert parse("全省有多少个市委书记参加").unit == "个"
    assert parse("花都2026年地区生产总值总量目标").measure == "amount"
    assert parse("番禺工投增速目标").measure == "rate"
    assert parse("天河2024年GDP打算涨多少啊").measure == "rate"  # colloquial 涨 is 增长
    assert parse("黄埔区工业产值涨到多少").measure is None  # a level: the figure's own words decide
    assert parse("数字化改造的比例提高到多少").measure == "rate"  # a share's level is a rate
    points = parse("南沙26年gdp目标涨几个点啊")  # percentage points: a rate, in %
    assert points.unit == "%" and points.measure == "rate" and points.years == (2026,)
    assert parse("几点开会").unit is None  # o'clock
    assert parse("新建多少个点位").unit == "个"  # sites, counted
    listing = parse("荔湾的三大平台是哪三个")
    assert listing.wants == "list" and listing.terms == ("三大", "平台")


def test_answer_span_prefers_the_amount_when_the_question_asks_the_total():
    passage = "花都区将力争地区生产总值一季度增长6.5%,全年增长5.5%、迈上2000亿元新台阶。规上工业总产值增长10%以上。"
    q = parse("花都2026年地区生产总值总量目标")
    span = answer_span(q, passage, lambda t: 1.0)
    assert "2000亿元" in span.text and span.figure == "2000亿元"


def test_answer_span_names_the_person_after_the_title():
    passage = "省发展改革委党组书记、主任，省大湾区办主任艾学峰在会上表示，广东省今年安排重点建设项目1508个。"
    q = parse("广东省发改委主任是谁")
    assert "艾学峰" in answer_span(q, passage, lambda t: 1.0).text


def test_a_figure_spoken_of_another_district_is_flagged():
    passage = ("越秀区委书记郭昊羽表示，越秀区今年将推动地区生产总值增长4%，社会消费品零售总额增长4%。"
               "海珠区委书记蔡澍表示，海珠区将推动地区生产总值增长5%。")
    q = parse("海珠区社零增速目标是多少")
    assert answer_span(q, passage, lambda t: 1.0).off_place


def test_trimmed_dictionary_keeps_the_project_words_and_common_words(tmp_path, monkeypatch):
    from index import tokenize

    monkeypatch.setenv("GZQA_CACHE", str(tmp_path))
    path = tokenize.dictionary_file()
    assert path.parent == tmp_path and not list(tmp_path.glob("*.part"))
    entries = dict(line.split()[:2] for line in path.read_text(encoding="utf-8").splitlines())
    assert entries["白云区委书记"] == str(tokenize.PROJECT_FREQ) and "固定资产" in entries
    assert all(int(freq) >= tokenize.MIN_FREQ for freq in entries.values())
    assert tokenize.dictionary_file() == path  # written once


def test_the_prefix_dictionary_is_jiebas_own_read_from_json(tmp_path, monkeypatch):
    import jieba

    from index import tokenize

    monkeypatch.setenv("GZQA_CACHE", str(tmp_path))
    tokenizer = jieba.Tokenizer(str(tokenize.dictionary_file()))
    with open(tokenize.dictionary_file(), "rb") as words:
        own = tokenizer.gen_pfdict(words)  # what jieba's initialize() builds (and caches with marshal)
    assert tokenize.prefix_dictionary(tokenizer) == own
    (cache,) = tmp_path.glob("jieba-prefix-*.txt")
    cache.write_text('{"白云区": ', encoding="utf-8")  # damaged: made again, not an error
    assert tokenize.prefix_dictionary(tokenizer) == own and cache.read_text(encoding="utf-8").startswith("[{")


def test_how_a_question_is_put_is_no_matter_it_asks_about(tmp_path, monkeypatch):
    from index import tokenize

    monkeypatch.setenv("GZQA_CACHE", str(tmp_path))
    tokenize.function_words.cache_clear()
    try:
        words = tokenize.function_words()  # jieba's own tags: pronouns, particles, prepositions …
        assert {"这个", "那边", "啥", "呀", "嘛", "着", "由"} <= words and not {"更新", "高新", "投资"} & words
        assert not words & set(lexicon.dictionary_words())  # the project's words are never dropped
    finally:
        tokenize.function_words.cache_clear()
    assert parse("海珠那边工业投资打算搞多少嘛").terms == parse("海珠工业投资多少").terms
    assert parse("2026年白云区化妆品这个行业的规模想做到多大").terms == ("化妆", "化妆品", "行业", "规模")


def test_latin_words_stay_whole():
    assert tokens("What is Baiyun") == ["what", "is", "baiyun"]  # not "b" "ai"(→人工智能) "yun"
    assert {"5g", "r&d", "研发经费投入"} <= set(tokens("5G产业和R&D投入"))


def test_another_city_by_its_bare_name():
    assert {p.name for p in parse("贵阳白云区2026年GDP目标").places} == {"白云区", "贵阳市"}
    assert parse("中山大学在哪").places == ()


@pytest.mark.parametrize("question, passage, figure", [
    ("海珠区2026年固投增长多少", "海珠区今年目标地区生产总值增长6%、固定资产投资增长8%、规上工业总产值增长10%以上", "8%"),
    ("广州2024年的高企有多少家", "拥有1.3万家高新技术企业、78家新型研发机构、165万名高校学生", "1.3万家"),
])
def test_the_figure_is_the_one_next_to_the_asked_indicator(question, passage, figure):
    q = parse(question)
    idf = {t: 1.0 + len(t) for t in q.terms}
    assert answer_span(q, passage, lambda t: idf.get(t, 0.0)).figure == figure


def test_a_compound_found_only_in_pieces_counts_little():
    from qa.coverage import PART_CREDIT, concepts, coverage

    q = parse("黄埔区2026年工业投资目标是多少")
    assert concepts(q.terms) == (("工业投资", ("工业", "投资"), ("工业投资", "工业", "投资")),)
    gdp = concepts(parse("2026年白云区的经济总量要迈向多少").terms)
    assert ("地区生产总值", ("经济", "总量"), ("地区生产总值", "经济总量", "经济", "总量")) in gdp
    apart = "今年黄埔的目标是地区生产总值和固定资产投资增长5%以上,规上工业总产值突破8600亿"
    whole = "今年黄埔工业投资增长10%"
    idf = {t: 1.0 for t in q.terms}
    assert coverage(q.terms, set(tokens(apart)), lambda t: idf.get(t, 0.0), apart) == pytest.approx(PART_CREDIT)
    assert coverage(q.terms, set(tokens(whole)), lambda t: idf.get(t, 0.0), whole) == 1.0


def test_a_city_inside_other_words_is_not_named():
    assert [p.name for p in parse("2月25日的会上海珠区提出固定资产投资增长多少").places] == ["海珠区"]


def test_which_district_answers_name_the_district():
    passage = ("此外,以工业软件提升湾区智造创新引领力,黄埔将围绕强链补链和突破“卡脖子”,"
               "推出轻量化智能软件产品和服务1000个。")
    q = parse("哪个区提出要推出轻量化智能软件产品和服务1000个")
    assert q.wants == "place" and "黄埔" in answer_span(q, passage, lambda t: 1.0).text


def test_who_said_a_quote_answers_with_the_speaker():
    passage = ("作为广州中心城区核心区，越秀区委书记郭昊羽表示，越秀区今年将推动地区生产总值增长4%，固定资产投资额完成135亿元、"
               "增长17%，社会消费品零售总额增长4%，“用实干实绩书写高质量发展的新答卷”。")
    q = parse("谁说要“用实干实绩书写高质量发展的新答卷”")
    assert "郭昊羽" in answer_span(q, passage, lambda t: 1.0).text


def test_unless_a_rate_is_asked_the_amount_is_the_figure():
    passage = "固定资产投资增长16%以上、总量突破1410亿元"
    assert pick_figure(parse("白云区固投目标是多少"), passage) == "突破1410亿元"
    assert pick_figure(parse("白云区固投增速目标是多少"), passage) == "16%以上"


def test_question_words_that_name_no_body():
    assert [(p.name, p.kind) for p in parse("2024年白云区的区委书记是谁").places] == [("白云区", "district")]
    assert parse("“一横三纵三片”是哪个区的空间布局").places == ()
    boss = parse("广东省发改委的一把手是谁")
    assert boss.wants == "person" and boss.terms == ()


def test_a_meeting_date_and_a_figure_in_the_question():
    q = parse("2月25日的会上海珠区提出固定资产投资增长多少")
    assert q.dates == ("2月25日",) and not {"月", "日", "25"} & set(q.terms)
    assert "360" in parse("工业投资360亿元是哪个区提出的目标").terms  # a figure is a clue, a year is not a term
    assert "2026" not in parse("白云区2026年固投").terms


def test_a_figure_starting_with_20_is_no_year():
    assert parse("哪个区地区生产总值要迈上2000亿元").years == ()
    assert parse("2026 白云区固投").years == (2026,) and parse("白云区2026年").years == (2026,)


def test_how_long_and_become_what():
    long = parse("广汽埃安用了多长时间达到100万辆")
    assert long.wants == "number" and "多长" not in long.terms
    assert "打造" in parse("要把广州打造成什么").terms


def test_a_search_within_articles_equals_the_whole_ranking_filtered(fake_index):
    """lexical/dense with `sources`: the whole corpus's order, other articles left out, cut after the filter."""
    from index import store

    index = store.load(fake_index)
    chosen = ("003_ceb711fc79301318.txt", "004_8c17ebf00595400d.txt")
    terms = tokens("固定资产投资增长目标")
    for search, query in ((index.lexical, terms), (index.dense, "白云区固投目标")):
        whole = search(query, len(index.chunks))
        within = search(query, 10, chosen)
        assert within == [(row, score) for row, score in whole if index.chunks[row].source in chosen][:10]
        assert within and {index.chunks[row].source for row, _ in within} <= set(chosen)


def test_the_asked_years_passages_are_candidates_however_many_others_outrank_them(fake_index):
    """Among thousands of articles the asked year's best passages must still reach the ranking."""
    from index import store
    from qa.candidates import candidates

    index = store.load(fake_index)
    q = parse("白云区2026年固投目标是多少", 2026)
    found = candidates(index, q, k=3)  # three candidates a retriever: look-alikes could fill them
    pool = [row for row, _ in index.lexical(q.search_terms, 3, ("003_ceb711fc79301318.txt",))]
    assert set(pool) <= set(found.rankings["bm25"]) and set(pool) <= set(found.rows)


@pytest.mark.parametrize("question", ["白云区2026年固投目标是多少", "番禺区委书记是谁", "广州2024年筹建多少套保障性租赁住房",
                                      "深圳南山区2024年GDP增速目标", "海珠区社零增速目标是多少", "荔湾的三大平台是哪三个"])
def test_hits_judged_for_the_first_few_are_the_first_few_of_all(fake_index, question):
    """`search(shown=n)` skips the tiers that cannot reach the first n: they are the same, in the ranking's
    order and in the not-found one (asked place first), as when every candidate is judged; the answering tier
    alone is the same too."""
    from index import store
    from qa.retrieve import ranking, search

    index = store.load(fake_index)
    q = parse(question, 2026)

    def placed(hits):
        return sorted(hits, key=lambda h: (not h.place_ok, -h.score, h.chunk.id))

    every = search(index, q)
    assert ranking(index, q).answering() == [h for h in every if h.year_ok and h.place_ok]  # the first tier
    for shown in (1, 3, 5):
        few = search(index, q, shown=shown)
        assert few[:shown] == every[:shown] and placed(few)[:shown] == placed(every)[:shown]
        assert set(h.chunk.id for h in few) <= set(h.chunk.id for h in every)
    ahead = sum(h.year_ok or h.place_ok for h in every)  # before the passages of another year and place
    if sum(h.place_ok for h in every) >= 5 and ahead >= 5:  # neither order reaches those: none is judged
        assert len(search(index, q, shown=5)) <= ahead
