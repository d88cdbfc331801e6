"""Look-alike articles for scale runs: N conference reports of other cities' districts and earlier years.

    .venv/bin/python scripts/make_corpus.py N --out DIR [--seed 0]

Each file reads like the seeds (a headline, a dateline, one "## @X区" section per
district with its targets, its secretary's words and its projects) but never
states a fact the seeds could contradict: the districts belong to cities outside
Guangdong (whose own cities are in scope: a question about 深圳 must stay
unanswerable), 贵阳市白云区 included to tempt a place match, and the
Guangzhou ones speak only of years no seed covers (2016–2019) and name no
official. Figures are a
district's invented base scaled by year. Deterministic for a given seed; about
33 chunks an article, so 3,000 articles are ≈ 100k chunks.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

CITIES = {
    "成都": ("锦江", "青羊", "金牛", "武侯", "成华", "龙泉驿", "双流", "郫都", "新都", "温江"),
    "武汉": ("江岸", "江汉", "硚口", "汉阳", "武昌", "青山", "洪山", "东西湖", "江夏", "黄陂"),
    "南京": ("玄武", "秦淮", "建邺", "鼓楼", "浦口", "栖霞", "雨花台", "江宁", "六合", "溧水"),
    "杭州": ("上城", "拱墅", "西湖", "滨江", "萧山", "余杭", "临平", "钱塘", "富阳", "临安"),
    "西安": ("新城", "碑林", "莲湖", "灞桥", "未央", "雁塔", "阎良", "临潼", "长安", "高陵"),
    "长沙": ("芙蓉", "天心", "岳麓", "开福", "雨花", "望城"),
    "郑州": ("中原", "二七", "管城", "金水", "上街", "惠济"),
    "济南": ("历下", "市中", "槐荫", "天桥", "历城", "长清", "章丘"),
    "青岛": ("市南", "市北", "黄岛", "崂山", "李沧", "城阳", "即墨"),
    "贵阳": ("南明", "云岩", "花溪", "乌当", "白云", "观山湖"),
}
GUANGZHOU = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")
GUANGZHOU_YEARS = (2016, 2017, 2018, 2019)  # no seed speaks of these years
OTHER_YEARS = tuple(range(2016, 2027))
HOME_SHARE = 0.15  # share of articles about Guangzhou districts (earlier years only)

PAPERS = ("晨报", "都市报", "日报", "晚报", "商报")
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁沈任姚卢钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤"
GIVEN = "建国军华明强伟平东海波涛峰磊斌超勇俊杰晓亮宏志刚文辉敏静丽燕红霞云飞鹏宇航洋浩然清源锋光荣昌盛德"
SLOGANS = ("坚持以大平台承载大项目 带动大发展", "持续做优做强科技创新能力", "努力打造现代都市工业集聚区",
           "跑出高质量发展加速度", "以“双招双引”激活发展新动能", "做强实体经济 筑牢发展根基",
           "打造营商环境最优区", "推动产业与科技深度融合", "以城市更新释放发展空间", "聚力打造创新策源高地",
           "加快建设现代化产业体系", "奋力打造高质量发展示范区")
PLATFORMS = ("科技城", "智谷", "高新区", "产业园", "创新港", "数字经济园", "总部基地", "临空经济区", "生物医药园")
INDUSTRIES = ("新一代信息技术", "智能网联汽车", "生物医药", "新材料", "高端装备", "数字创意", "低空经济", "新能源",
              "集成电路", "人工智能", "现代物流", "文化旅游")
ACTIONS = ("聚焦{ind}等主导产业,全年计划引进亿元以上项目{n}个,推动{plat}扩容提质。",
           "实施重点项目{n}个,年度计划投资{amt}亿元,其中产业项目投资占比超过{pct}%。",
           "新增规模以上工业企业{n}家,高新技术企业总数达到{n2}家,研发经费投入增长{pct}%以上。",
           "推进城市更新项目{n}个,完成老旧小区改造{n2}个,新增公共停车泊位{n3}个。",
           "深化“放管服”改革,企业开办时间压缩至{n}个工作日,政务服务事项全程网办率达到{pct}%。",
           "加快{plat}建设,打造{ind}产业集群,力争产值突破{amt}亿元。",
           "全年新增城镇就业{n3}人,新建改扩建中小学和幼儿园{n}所,新增学位{n2}个。",
           "推动外贸稳规模优结构,跨境电商进出口额增长{pct}%,实际使用外资{amt2}亿美元。")
WORDS = ("会议强调,{d}要坚持稳中求进工作总基调,完整准确全面贯彻新发展理念,以高质量发展的实际成效扛起责任担当。",
         "{name}表示,要锚定目标任务,以只争朝夕的精气神抓落实,以项目建设的加速度换取经济发展的高质量。",
         "会议要求,全区上下要牢固树立“项目为王”理念,坚持大抓产业、抓大产业,推动{ind}和{ind2}协同发展。",
         "{name}指出,要强化企业主体地位,做好企业服务,让各类经营主体在{d}安心发展、放心投资。",
         "会上,{d}还为一批重点企业和项目代表颁发证书,并现场签约项目{n}个,总投资约{amt}亿元。")


LEADS = ("今年将", "下一步,将", "全年", "同时,", "此外,还将")


def figures(rng: random.Random, year: int) -> dict:
    """A district's invented base figures, scaled to `year` (about 6% a year)."""
    scale = 1.06 ** (year - 2016)
    gdp = rng.randint(400, 3500) * scale
    return {"gdp": round(gdp), "gdp_past": round(gdp / 1.06), "growth": rng.choice((5, 5.5, 6, 6.5, 7, 8)),
            "fai": round(gdp * rng.uniform(0.08, 0.25)), "fai_growth": rng.choice((6, 8, 10, 12, 15)),
            "retail": round(gdp * rng.uniform(0.2, 0.45)), "trade": round(gdp * rng.uniform(0.05, 0.3))}


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def fill(rng: random.Random, template: str, district: str, name: str) -> str:
    ind, ind2 = rng.sample(INDUSTRIES, 2)
    return template.format(d=f"{district}区", name=name, ind=ind, ind2=ind2, plat=district + rng.choice(PLATFORMS),
                           n=rng.randint(3, 60), n2=rng.randint(50, 900), n3=rng.randint(1000, 30000),
                           amt=rng.randint(20, 600), amt2=round(rng.uniform(1, 30), 1), pct=rng.randint(5, 40))


def year_phrase(year: int) -> str:
    """What a report of `year` calls its year, in the seeds' words (only where it is true)."""
    return {2021: "“十四五”开局之年", 2025: "“十四五”规划收官之年", 2026: "“十五五”开局之年"}.get(year, f"{year}年")


def section(rng: random.Random, city: str, district: str, year: int, month: int, day: int) -> list[str]:
    """One district's part of a report: heading, targets, the secretary's words, the year's actions.

    A Guangzhou district's officials are not named: a made-up holder of a real office would be a
    competing claim on a fact the seeds state (who the district's secretary is).
    """
    f = figures(rng, year)
    name = "区委主要负责同志" if city == "广州" else person(rng)
    title = f"{city}市{district}区委主要负责同志" if city == "广州" else f"{city}市{district}区委书记{name}"
    lines = [f"## @{district}区", "", f"### {rng.choice(SLOGANS)}", "",
             f"{month}月{day}日上午,{city}市{district}区召开高质量发展大会,提出{year}年经济发展主要目标是:"
             f"地区生产总值突破{f['gdp']}亿元、增速不低于{f['growth']}%;固定资产投资额超{f['fai']}亿元、"
             f"增长{f['fai_growth']}%以上,社会消费品零售总额超{f['retail']}亿元,外贸进出口总值超{f['trade']}亿元。", "",
             f"{title}在会上指出,在过去一年,{district}区直面复杂严峻形势,迎难而上,"
             f"地区生产总值突破{f['gdp_past']}亿元,主要经济指标好于预期,高质量发展迈出坚实步伐。", ""]
    for n in range(rng.randint(3, 4)):
        words = fill(rng, rng.choice(WORDS), district, name)
        actions = "".join(fill(rng, a, district, name) for a in rng.sample(ACTIONS, rng.randint(2, 3)))
        lead = f"{district}区{year}年将" if n == 0 else rng.choice(LEADS)  # as reports do: named once, then "今年"
        lines += [f"{words}{lead}{actions}", ""]
    return lines


def article(rng: random.Random) -> str:
    """One look-alike report: several districts of one city in one year."""
    if rng.random() < HOME_SHARE:
        city, districts, year = "广州", GUANGZHOU, rng.choice(GUANGZHOU_YEARS)
    else:
        city = rng.choice(sorted(CITIES))
        districts, year = CITIES[city], rng.choice(OTHER_YEARS)
    month, day = rng.randint(1, 3), rng.randint(1, 28)
    chosen = rng.sample(districts, min(len(districts), rng.randint(5, 7)))
    paper = city + rng.choice(PAPERS)
    lines = [f"# 锚定高质量发展 {city}多区明确{year}年重点", "",
             f"{paper}讯 记者{person(rng)}报道:{month}月{day}日前后,{city}多个区分别召开高质量发展大会,"
             f"明确{year_phrase(year)}高质量发展的目标,部署各区高质量发展计划。", ""]
    for district in chosen:
        lines += section(rng, city, district, year, month, day)
    return "\n".join(lines)


def write_corpus(n: int, out: Path, seed: int = 0) -> list[Path]:
    """N look-alike articles → `out/lookalike_NNNNNN.txt` (existing files of that name are overwritten)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")  # one generator per article: article i is the same for any N
        path = out / f"lookalike_{i:06d}.txt"
        path.write_text(article(rng), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="how many articles")
    parser.add_argument("--out", type=Path, required=True, help="folder to write them into (e.g. a copy of seeds/)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_corpus(args.n, args.out, args.seed)


if __name__ == "__main__":
    main()
