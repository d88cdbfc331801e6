"""Loading, cleaning, metadata and chunking: seeds → chunks whose every span checks out."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from index.chunk import chunk_article, quote
from index.clean import Block, blocks, caption_statement, credit_start
from index.load import decode, fingerprint, read_seeds
from index.meta import describe, infer_city, infer_year
from index.records import Rejected
from tests.conftest import FIXTURES, SEEDS


def articles():
    texts, _ = read_seeds(SEEDS)
    return [describe(t.source, t.text, t.sha256) for t in texts]


def assert_provenance(text: str, chunks) -> None:
    lines = text.split("\n")
    for c in chunks:
        assert c.text and c.text == quote(text, c.char_start, c.char_end)
        assert c.line_start == text.count("\n", 0, c.char_start) + 1
        assert c.line_end == text.count("\n", 0, c.char_end) + 1
        cited = "".join(line.strip() for line in lines[c.line_start - 1:c.line_end])
        assert c.text in cited  # verbatim within the lines it cites, line breaks aside


def test_every_seed_chunk_is_verbatim_within_its_lines():
    for article in articles():
        chunks = chunk_article(article.source, article.text)
        assert chunks
        assert_provenance(article.text, chunks)


def test_years_are_inferred_with_evidence():
    years = {a.source[:3]: a.year for a in articles()}
    assert {k: int(v.value) for k, v in years.items()} == {"000": 2024, "001": 2024, "002": 2024, "003": 2026, "004": 2024}
    assert "十五五" in years["003"].evidence and years["003"].line > 0
    assert "75周年" in years["000"].evidence


def test_year_cues():
    assert infer_year("今年是“十五五”开局之年。")
    assert infer_year("今年是“十五五”开局之年。").value == "2026"
    assert infer_year("今年是新中国成立75周年。").value == "2024"
    assert infer_year("这是自2023年1月28日大会举办之后，广东第二年召开大会。").value == "2024"
    assert infer_year("在过去的2023年，广州直面复杂严峻形势。力争到2035年经济总量翻一番。").value == "2024"
    assert infer_year("今年经济稳步增长。") is None


def test_metadata_of_seeds():
    by = {a.source[:3]: a for a in articles()}
    assert by["003"].publisher.value == "新快报" and by["003"].date.value == "2月25日"
    assert by["000"].publisher.value == "羊城晚报" and by["000"].date.value == "2月19日"
    assert by["004"].publisher.value == "广东建设报"
    assert by["004"].title.value.startswith("再开“新春第一会”")


GUIYANG_BAIYUN = """# 贵阳市白云区召开高质量发展大会

贵州日报讯 记者王五报道：2月20日，贵阳市白云区召开全区高质量发展大会。会议要求，全区上下认真落实全省部署。

## 白云区委书记：做强铝及铝加工产业

白云区委书记表示，白云区今年将推动地区生产总值增长6%，白云区固定资产投资增长8%，白云区新增市场主体5000户。
"""


def test_city_or_province_of_seeds_with_evidence():
    cities = {a.source[:3]: a.city for a in articles()}
    assert {k: v.value for k, v in cities.items()} == {"000": "广州市", "001": "广州市", "002": "广州市", "003": "广州市",
                                                       "004": "广东省"}
    assert "广东" in cities["004"].evidence and cities["004"].line > 0
    assert "广州" in cities["000"].evidence
    assert articles()[4].metadata()["city"]["value"] == "广东省"  # what the manifest stores


def test_city_of_an_article_about_another_city():
    from tests.test_update import BAIYUN_2025, SHENZHEN_2026

    assert infer_city(GUIYANG_BAIYUN).value == "贵阳市"  # its 白云区 is not Guangzhou's
    assert infer_city(SHENZHEN_2026).value == "深圳市"  # nor is its 南山区
    assert infer_city(BAIYUN_2025).value == "广州市"
    assert infer_city("遵义市召开大会。遵义市委书记主持会议，担任市长的他说，全体市民要拼经济。").value == "遵义市"
    district = infer_city("海珠区召开高质量发展大会。海珠区委书记表示，今年将推动城市更新。")
    assert district.value == "广州市" and "海珠区" in district.evidence  # no city named: a district places it
    assert infer_city("今年经济稳步增长，城市更新全面推进。") is None


def test_broken_sentences_are_joined_and_sections_kept():
    text = (FIXTURES / "broken_2026.txt").read_text(encoding="utf-8")
    chunks = chunk_article("broken_2026.txt", text)
    assert_provenance(text, chunks)
    joined = next(c for c in chunks if "实现从科技强到企业强" in c.text)
    assert joined.line_end > joined.line_start
    dongshan = [c for c in chunks if "东山" in c.text]
    assert dongshan and all(c.section[-1].startswith("东山区委书记李四") for c in dongshan)
    assert all("赵六" not in c.text for c in dongshan)  # a chunk never straddles two sections
    assert describe("broken_2026.txt", text, "x").year.value == "2026"


def test_bare_headlines_captions_and_bylines():
    text = (FIXTURES / "bare_2024.txt").read_text(encoding="utf-8")
    kinds = [(b.kind, b.text[:8]) for b in blocks(text)]
    assert ("heading", "某市召开高质量发") in kinds and ("byline", "示例晚报记者 周") in kinds
    chunks = chunk_article("bare_2024.txt", text)
    shop = next(c for c in chunks if "内外贸一体化试点企业" in c.text)
    assert shop.section == ("市商务局 全年社零额增长不低于5.5%",)
    article = describe("bare_2024.txt", text, "x")
    assert (article.year.value, article.publisher.value, article.date.value) == ("2024", "示例晚报", "2月19日")


def test_a_caption_states_without_its_photo_credit():
    text = ("# 大会报道\n\n广东省高质量发展大会在深圳召开（羊城晚报记者周巍、蔡嘉鸿摄）\n\n"
            "■新塘站成为增城区的重要枢纽。新快报记者 郭思杰/摄\n\n资料图 新华社发\n\n"
            "2月19日下午，广州市委、市政府召开全市高质量发展大会 羊城晚报记者 宋金峪 摄\n\n"
            "■\u3000南沙区委书记 张三 在大会上发言 新华社记者 李四 摄\n\n正文第一段。\n")
    captions = [b for b in blocks(text) if b.kind == "caption"]
    assert len(captions) == 5
    said = [caption_statement(b) for b in captions]
    assert [s.text if s else None for s in said] == [
        "广东省高质量发展大会在深圳召开", "新塘站成为增城区的重要枢纽。", None,  # "资料图" states nothing
        "2月19日下午，广州市委、市政府召开全市高质量发展大会", "南沙区委书记 张三 在大会上发言"]
    chunks = chunk_article("cap_2024.txt", text)
    assert_provenance(text, chunks)  # each statement's span is its own words in the raw file
    assert [c.text for c in chunks][:2] == ["广东省高质量发展大会在深圳召开", "新塘站成为增城区的重要枢纽。"]
    assert not any("摄" in c.text or "新华社发" in c.text for c in chunks)


def test_a_photo_credit_is_told_from_the_statement():
    shapes = {  # caption → its credit (the statement is what is before it)
        "广州市委书记郭永航（中）在大会上讲话 新华社发": "新华社发",  # a position in brackets is not a credit
        "2月19日 广州市高质量发展大会召开 新华社发": "新华社发",
        "大会召开。图为会场一角。 新华社记者 张三 摄": "新华社记者 张三 摄",
        "广东省高质量发展大会在深圳召开新华社发": "新华社发",  # glued to the statement
        "广东省高质量发展大会召开视觉中国供图": "视觉中国供图",
        "在新征程上，广州努力焕发新活力、开创新局面 广州塔供图": "广州塔供图",
        "羊城晚报全媒体记者 张三 摄": "羊城晚报全媒体记者 张三 摄",  # all credit: no statement
        "新华社记者张三摄": "新华社记者张三摄",
    }
    for caption, credit in shapes.items():
        assert caption[credit_start(caption):] == credit, caption
    assert caption_statement(Block("caption", "■EH216-S全球首飞 邓勃 摄", ((0, 17),))).text == "EH216-S全球首飞"
    assert caption_statement(Block("caption", "羊城晚报全媒体记者 张三 摄", ((0, 15),))) is None


def test_decoding_accepts_bom_crlf_and_refuses_bad_files():
    assert decode("a.txt", "\ufeff第一行\r\n第二行".encode("utf-8")) == "第一行\n第二行"
    for data, why in ((b"", "empty"), (b"  \n", "empty"), (b"\x00\x01abc", "binary"),
                      ("广州市高质量发展".encode("gbk"), "GBK")):
        rejected = decode("bad.txt", data)
        assert isinstance(rejected, Rejected) and why in rejected.reason


def test_read_seeds_reports_duplicates_and_keeps_the_rest(tmp_path: Path):
    (tmp_path / "a.txt").write_text("今年是“十五五”开局之年。", encoding="utf-8")
    (tmp_path / "b 副本.txt").write_text("今年是“十五五”开局之年。", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    texts, rejected = read_seeds(tmp_path)
    assert [t.source for t in texts] == ["a.txt"]
    assert {r.source for r in rejected} == {"b 副本.txt", "empty.txt"}
    assert "same content as a.txt" in next(r.reason for r in rejected if r.source == "b 副本.txt")


def test_files_that_are_not_txt_are_refused_unread(tmp_path: Path):
    (tmp_path / "a.txt").write_text("今年是“十五五”开局之年。", encoding="utf-8")
    (tmp_path / "B.TXT").write_text("今年是新中国成立75周年。", encoding="utf-8")
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04" + bytes(100))
    (tmp_path / "notes.md").write_text("# 笔记", encoding="utf-8")
    (tmp_path / ".upload-1.part").write_text("上传中", encoding="utf-8")  # hidden: not a seed, not refused
    (tmp_path / "old").mkdir()
    texts, rejected = read_seeds(tmp_path)
    assert [t.source for t in texts] == ["B.TXT", "a.txt"]
    assert {r.source: r.reason.split(";")[0] for r in rejected} == {"notes.md": "not a .txt file — skipped",
                                                                    "report.docx": "not a .txt file — skipped"}
    assert set(fingerprint(tmp_path)) == {"a.txt", "B.TXT", "report.docx", "notes.md"}  # so adding one is noticed


PIECES = st.sampled_from(["发展", "白云区", "固投1400亿元", "，", "。", "；", "\n", "\n\n", "\n\n## 小节\n\n",
                          "■图片说明 记者摄", "\n■\u3000白云区委书记（中）在大会上发言 新华社记者 李四 摄\n", "  ",
                          "“新质生产力”", "增长5%以上", "\r\n", "### 某区委书记: 标题\n"])


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=80))
def test_chunk_spans_hold_for_any_text(pieces):
    text = "".join(pieces).replace("\r\n", "\n")
    assert_provenance(text, chunk_article("x.txt", text))
