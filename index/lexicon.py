"""The project's words: places, bodies, officials' titles, programmes, and the abbreviations users type.

Data, not logic. `SYNONYMS` groups surface forms of one concept; the first
form is canonical. Tokenizing adds the canonical form beside any member, at
index and query time alike, so "固投" finds "固定资产投资" and vice versa.
Bump `VERSION` when anything here changes: it is part of the pipeline version
written into the manifest, so indexes built before are reported stale (with
`fingerprint()`, a digest of the data, which catches a forgotten bump).
"""
from __future__ import annotations

import functools

VERSION = "23"  # 23: 亮 (亮目标, 亮出) is a speech act, a stop word as 表态 is (C, J, R); 22: 技术工人 ~ 技能人才; 小升规, 装配式建筑, 市场主体, 翻一番 defined (DEFINED; each asked in plain words by two or more sets); 21: 税 alone ~ 税收 ("交多少税", four sets); 20: 基础设施 ~ 基建, 头三个月 ~ 一季度 (aliases of two or more sets); 19: 稻谷, 动工, 科研开发/研究开发, 重点工程 (aliases of two or more sets); 18: a bureau's "X部门" form (住建部门 → 住建局); 17: 投入强度 defined (DEFINED), its words kept whole (14–16 were this session's trials); 13: 涨 ~ 增长; 12: aliases people type for seven concepts, each used by two or more independently written question sets (经济盘子, 科研投入, 高科技企业, 政策性住房, 在读大学生, 公立, 税收); 11: traditional → simplified (OpenCC) and no marks inside words, in index/tokenize.normalise; 10: 会上 is a stop word; 9: 经济增速 ~ GDP; 一把手 is no synonym of 局长; 8: speech verbs are stop words; 7: 全年 is a word again (全年 vs 一季度); 6: Latin words kept whole; 5: jieba dictionary trimmed (index/tokenize.py)

DISTRICTS = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")

# Bodies a question may name: canonical name first, then the forms articles and users use.
BODIES: tuple[tuple[str, ...], ...] = (
    ("发改委", "发展改革委", "发展和改革委员会", "发改局", "发展改革局"),
    ("工信局", "工业和信息化局"),
    ("住建局", "住房和城乡建设局", "住房城乡建设局"),
    ("科技局", "科学技术局"),
    ("商务局",),
    ("教育局",),
    ("投发委", "投资发展委员会"),
    ("统计局",),
    ("财政局",),
    ("人社局", "人力资源和社会保障局"),
    ("规自局", "规划和自然资源局"),
    ("交通局", "交通运输局"),
    ("发改系统",),
    ("住建部", "住房和城乡建设部"),
)
# People name a bureau by its field and "部门" ("住建部门", "商务部门", "发改部门"): the city's bureau, not a ministry
# (住建部). Five questions of four sets, written apart, did. Made from each bureau's name, not listed.
BODIES = tuple(g + (f"{g[0][:-1]}部门",) if g[0].endswith(("局", "委")) else g for g in BODIES)

# Cities counted by their bare name (深圳, not only 深圳市): Guangdong's 21, China's largest, and a few
# whose last character also ends words before 市 (盐城: 城市; 绍兴: 科技兴市). Left out on purpose:
# names that are common words too ("海口" in 出海口, "合肥" in 复合肥); as "XX市" they are still counted.
CITIES: tuple[str, ...] = ("广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州", "梅州", "汕尾",
          "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮",
          "北京", "上海", "天津", "重庆", "香港", "澳门", "石家庄", "太原", "呼和浩特", "沈阳", "大连", "长春",
          "哈尔滨", "南京", "苏州", "杭州", "宁波", "福州", "厦门", "南昌", "济南", "青岛", "郑州", "武汉", "长沙",
          "南宁", "成都", "贵阳", "昆明", "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐",
          "盐城", "聊城", "晋城", "绍兴", "嘉兴")

HOME_CITY, HOME_PROVINCE = "广州市", "广东省"  # the corpus's own city and province: the districts and bureaus are theirs

SCOPES: tuple[tuple[str, ...], ...] = (
    ("广东", "广东省", "全省", "省委", "省政府"),
    ("广州", "广州市", "全市", "市委", "市政府"),
)

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("固定资产投资", "固投", "固定资产投资额", "固定资产投资总额"),
    ("社会消费品零售总额", "社零", "社零额", "社消零", "社消零总额", "社会消费品零售额"),
    ("地区生产总值", "gdp", "生产总值", "经济总量", "经济增速", "经济规模", "经济体量", "经济盘子"),
    ("规模以上", "规上"),
    ("研发经费投入", "研发投入", "研发经费", "r&d", "研发支出", "研发开支", "科研投入", "科研经费", "科研支出", "科研开支"),
    ("高新技术企业", "高企", "国高企", "高科技企业", "高科技公司"),
    ("技术改造", "技改"),
    ("增长", "增速", "增幅", "增长率", "涨幅", "涨"),
    ("外贸进出口", "外贸", "进出口", "外贸进出口总值", "进出口总值"),
    ("城中村改造", "城中村"),
    ("专精特新", "专精特新企业"),
    ("招商引资", "招商"),
    ("工业投资", "工投", "工业投资额"),
    ("人工智能", "ai"),
    ("十五运会", "十五运", "全运会"),
    ("项目", "重点项目"),
    ("保障性住房", "保障房", "政策性住房"),
    # Aliases people type for what the reports name officially: each joined the lexicon only when two or more
    # question sets, written apart by people who saw only the reports, used it (README, Quality: seventh session).
    ("高校学生", "大学生", "在校大学生", "在读大学生"),
    ("公办", "公立"),
    ("税收", "创税", "纳税", "税"),
    ("水稻", "稻谷"),
    ("开工", "动工"),
    ("研发", "科研开发", "研究开发"),
    ("重点建设项目", "重点工程"),
    ("基建", "基础设施", "基础设施建设"),
    ("技能人才", "技术工人"),
    ("一季度", "头三个月"),
) + tuple((f"{d}区", d) for d in DISTRICTS) + BODIES

# Terms whose definition holds other concepts: a report's "投入强度" is R&D spending as a share of GDP (研发投入强度,
# by definition), which people ask as "研发投入占GDP的比重" — seven question sets, written apart, did. A text naming
# the term holds those concepts (qa/coverage.py).
DEFINED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("投入强度", ("比重", "比例", "地区生产总值")),
    # The reports' jargon, as two or more sets written apart asked it in plain words (tenth session): 小升规 is a
    # small firm grown above the statistical size (A, E, H, T, U, V); 装配式建筑 is built of parts made in advance
    # and put together on site (I, K, L, N, Q, U); 市场主体 are the firms and self-employed registered (R, U, V);
    # 翻一番 is to grow by one time over (R, V).
    ("小升规", ("规模以上", "企业")),
    ("装配式建筑", ("预制", "拼装", "装配")),
    ("市场主体", ("企业", "公司", "个体户", "个体工商户", "商户")),
    ("翻一番", ("一倍", "翻倍")),
)

OFFICIAL_TITLES = ("市委书记", "区委书记", "区委副书记", "区长", "副区长", "市长", "副市长", "常务副市长",
                   "局长", "主任", "专职副主任", "党组书记", "党委书记", "董事长", "司长", "省长", "省委书记")

PROGRAMMES = ("百千万工程", "新质生产力", "高质量发展", "高质量发展大会", "两业融合", "工商并举", "十五五", "十四五",
              "二次创业", "大干十二年", "大千十二年", "产业科技互促双强", "智改数转网联", "小升规", "内外贸一体化",
              "城市更新", "集团化办学", "颠覆性技术", "概念验证中心", "新型储能", "低空经济", "未来产业",
              "招商十百千", "高新技术企业", "生产性服务业", "现代服务业", "先进制造业", "拼经济", "开门红")

# Words that carry no meaning for matching: question words and function words.
STOPWORDS = frozenset("""
的 了 在 是 和 与 及 将 要 有 为 对 把 被 等 也 都 就 而 并 或 其 该 这 那 之 以 于 从 到 向 上 下 中 个
吗 呢 吧 啊 么 什么 多少 几 哪 哪些 哪个 哪里 哪年 谁 怎么 怎样 怎么样 如何 是否 是不是 请问 请 问 一下 说 说的
指 指什么 叫 叫什么 分别 具体 情况 有关 关于 那位 这位 位 个 们 我 你 他 她 它 我们 你们 他们
目标 多大 多高 计划 年 今年 去年 明年
想 把 做到 打算 准备 能 会 可以 需要 应该 做 搞 干 弄 得 让 给 打 提出 提到 讲 谈 怎么说 说了
表态 发言 讲话 表示 指出 强调 介绍 会上 会议上 亮
""".split())


def dictionary_words() -> list[str]:
    """Every word jieba must keep whole."""
    words = set(OFFICIAL_TITLES) | set(PROGRAMMES)
    for group in SYNONYMS + SCOPES + tuple((term, *held) for term, held in DEFINED):
        words.update(w for w in group if len(w) > 1)
    for d in DISTRICTS:
        words.update({f"{d}区", f"{d}区委", f"{d}区委书记", f"{d}区长"})
    return sorted(words)


@functools.cache
def fingerprint() -> str:
    """A digest of the lexicon's data: an edit that forgets to bump `VERSION` still marks indexes stale."""
    import hashlib

    data = (DISTRICTS, BODIES, CITIES, SCOPES, SYNONYMS, DEFINED, OFFICIAL_TITLES, PROGRAMMES, sorted(STOPWORDS))
    return hashlib.sha1(repr(data).encode()).hexdigest()[:8]


@functools.cache
def canonical_forms() -> dict[str, str]:
    """Surface form → canonical form, for every synonym group."""
    return {form: group[0] for group in SYNONYMS for form in group}
