"""The demo's subject and inspector directories (R-SUBJ-1..4, R-INSP-1..2), loaded through the directory's own import
pipeline (api.directory.importer.run_import) from CSV files written here, as an office clerk's upload would be.

Everything comes from one seeded random.Random, so every machine gets the same directory. Only the inspectors'
certificate and availability dates are relative to `today` (they must still be valid, or not, when the demo is
looked at); the subjects do not depend on the date at all. The import records the office's user as who imported,
and the pipeline writes the change log as for any import (a created record's creation is its import record).
"""
from __future__ import annotations

import csv
import random
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy.engine import Engine

from api.directory.importer import ImportJob, run_import
from domain.clock import FakeClock
from domain.codes import generate_uscc, resident_id_check_char
from domain.usecases import Actor

SEED = 20260105
SUBJECTS = 24_000
INSPECTORS_PER_DEPARTMENT = 10
IMPORTER = Actor(user="office", department="lhbgs", is_office=True)

# 示范市's districts and counties: (name, administrative division code, share of the subjects). The codes are made up.
DISTRICTS = [("城关区", "990102", 20), ("东城区", "990103", 15), ("西城区", "990104", 14), ("南湖区", "990105", 12),
             ("北山区", "990106", 10), ("高新区", "990171", 9), ("经开区", "990172", 8), ("临港新区", "990173", 5),
             ("青溪县", "990121", 4), ("云岭县", "990122", 3)]
# industry: (share, words a business of it is named by, tags it may carry); each matches a department's C items
INDUSTRIES = {
    "餐饮服务": (18, ["餐饮管理", "酒家", "面馆", "火锅店", "快餐店", "小吃店", "饭店"], ["校园周边", "夜间经营"]),
    "食品销售": (13, ["食品商行", "副食店", "超市", "生鲜店", "粮油店"], ["冷链", "校园周边"]),
    "食品生产": (6, ["食品厂", "食品科技", "调味品厂", "糕点厂"], ["冷链"]),
    "药品零售": (5, ["大药房", "医药连锁", "药店"], ["重点时段"]),
    "商场超市": (5, ["购物中心", "百货商场", "商业广场"], ["人员密集场所", "电梯"]),
    "文化娱乐": (5, ["KTV", "网吧", "剧本杀馆", "影城", "电竞馆"], ["人员密集场所", "夜间经营"]),
    "旅游服务": (3, ["旅行社", "旅游开发", "景区管理"], ["旅游旺季"]),
    "住宿服务": (5, ["宾馆", "酒店", "民宿"], ["人员密集场所", "旅游旺季"]),
    "美容美发": (4, ["美容美发店", "理发店", "洗浴中心"], ["公共场所"]),
    "医疗机构": (3, ["诊所", "口腔门诊部", "医疗美容诊所"], ["医疗废物"]),
    "工业制造": (9, ["机械制造", "电子科技", "塑料制品", "纺织", "建材"], ["重点排污单位", "电梯"]),
    "危险化学品": (2, ["化工贸易", "加油站", "燃气经营"], ["危险化学品", "重点时段"]),
    "民用爆炸物品": (0.2, ["爆破工程", "民爆器材"], ["民用爆炸物品"]),
    "道路运输": (5, ["运输", "物流", "客运"], ["两客一危"]),
    "建筑施工": (5, ["建筑工程", "建设集团", "装饰工程"], ["在建工程"]),
    "批发零售": (9, ["商贸", "贸易", "五金店", "日用百货店"], []),
    "教育培训": (3, ["培训学校", "教育咨询", "托管中心"], ["校园周边"]),
}
HAZARDOUS = {"危险化学品", "民用爆炸物品", "道路运输", "建筑施工"}
FORMS = ["有限公司", "有限公司", "有限责任公司", "股份有限公司"]
BRAND_FIRST = "鑫华金宏瑞恒博嘉德永天利福康兴盛丰源泰隆安顺祥和新正信达优佳云青"
BRAND_SECOND = "源泰穗达丰信远禾胜安成民满泰旺昌茂业鸿润辉晟川发祥达隆航联创"
ROADS = ["人民路", "解放路", "建设大道", "中山路", "幸福路", "滨江路", "和平街", "文化路", "工业大道", "高新一路", "长安街",
         "南湖路", "北山大道", "临港大道", "青溪路", "云岭路", "学府路", "健康路", "春晖路", "望江路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN_MALE = ["建国", "志强", "伟", "磊", "军", "勇", "涛", "明", "杰", "斌", "浩", "鹏", "海峰", "国华", "晓东", "文博", "子轩"]
GIVEN_FEMALE = ["秀英", "丽", "敏", "静", "燕", "霞", "芳", "娟", "婷", "雪梅", "晓红", "玉兰", "欣怡", "佳琪", "梦瑶"]
CREDIT = [("A", 28), ("B", 52), ("C", 14), ("D", 4), ("", 2)]
HIGH_RISK = {"A": 0.03, "B": 0.07, "C": 0.25, "D": 0.6, "": 0.1}
# public institutions (事业单位, USCC 12…) and social organisations (民办非企业, 52…): (kind digits, industry, names)
INSTITUTIONS = [("12", "医疗机构", ["人民医院", "中医院", "妇幼保健院", "社区卫生服务中心"]),
                ("12", "教育培训", ["第一中学", "实验小学", "第二中学", "职业技术学校"]),
                ("52", "教育培训", ["民办幼儿园", "艺术培训中心"]), ("52", "住宿服务", ["养老院", "颐养中心"])]
PROJECT_WORDS = ["幸福家园", "滨江花园", "高新科创园", "人民医院新院区", "第一中学扩建", "临港物流园", "南湖安置房"]
INDIVIDUAL_INDUSTRIES = ["餐饮服务", "食品销售", "食品销售", "道路运输", "美容美发", "批发零售"]
SHARES = {"enterprise": 80, "individual_business": 12, "individual": 5, "institution": 2.4, "project": 0.6}

DEPARTMENT_SPECIALTIES = {
    "scjg": ["食品安全", "特种设备", "药品监管"], "wlj": ["文化市场", "旅游市场"], "gxj": ["工业产品", "民爆物品"],
    "yjj": ["消防安全", "危险化学品"], "sthj": ["排污许可", "环境监测"], "wjw": ["医疗卫生", "公共卫生"],
    "jtj": ["道路运输"], "zjj": ["建设工程"],
}
POSTS = ["科长", "副科长", "一级主任科员", "四级主任科员", "一级科员", "执法队员", "执法队员", "执法队员", "执法队员", "执法队员"]


@dataclass(frozen=True)
class DemoInspector:
    """How a demo inspector stands on `today`: the test and the stories read these."""

    resident_id: str
    department: str
    certificate_expires: date
    unavailable_until: date | None


def load_directories(engine: Engine, departments: list[str], imported_at: datetime, today: date) -> None:
    """Import the subjects, then every department's inspectors, through the import pipeline; raise if refused."""
    with tempfile.TemporaryDirectory(prefix="jointinspect-demo-") as folder:
        for kind, filename, header, rows in (
                ("subjects", "示范市检查对象名录.csv", SUBJECT_HEADER, subject_rows()),
                ("inspectors", "示范市执法检查人员名录.csv", INSPECTOR_HEADER, inspector_rows(departments, today))):
            path = Path(folder) / filename
            with open(path, "w", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(header)
                out.writerows(rows)
            job = ImportJob(id=uuid5(NAMESPACE_URL, f"jointinspect-demo/import/{kind}").hex, kind=kind, path=path,
                            filename=filename, actor=IMPORTER, scope_department=None)
            # nothing else writes while the demo loads: no SQLite writer lock to share
            progress = run_import(engine, job, FakeClock(imported_at))
            if progress.status != "succeeded":
                raise RuntimeError(f"demo {kind} import failed: {progress.error} {progress.first_rejections[:3]}")


SUBJECT_HEADER = ["对象类型", "对象代码", "名称", "住所", "法定代表人", "联系电话", "所属区域", "所属行业", "风险等级",
                  "信用等级", "经营异常名录", "重点关注", "失信", "严重违法", "投诉次数", "免检", "注销吊销", "标签"]


def subject_rows(count: int = SUBJECTS) -> list[list]:
    """`count` subjects of every kind, with valid codes, spread over districts, industries, credit and risk."""
    rng = random.Random(SEED)
    kinds = rng.choices(list(SHARES), weights=list(SHARES.values()), k=count)
    numbers = iter(rng.sample(range(10**7), count))  # distinct organisation-code parts of the USCCs
    people: set[str] = set()
    names: set[str] = set()
    districts = rng.choices(DISTRICTS, weights=[d[2] for d in DISTRICTS], k=count)
    industries = rng.choices(list(INDUSTRIES), weights=[v[0] for v in INDUSTRIES.values()], k=count)
    rows = []
    for n, (kind, (district, division, _), industry) in enumerate(zip(kinds, districts, industries)):
        person = _person(rng)
        if kind == "enterprise":
            code = generate_uscc(next(numbers), "9", "1", division)
            name = _unique(names, lambda: f"示范市{_brand(rng)}{rng.choice(INDUSTRIES[industry][1])}"
                                          f"{rng.choice(FORMS)}")
        elif kind == "individual_business":  # 个体工商户 with a USCC (92…): filed as an enterprise (README)
            code = generate_uscc(next(numbers), "9", "2", division)
            name = _unique(names, lambda: f"{district}{person[0]}记{_shop(rng.choice(INDUSTRIES[industry][1]))}")
            kind = "enterprise"
        elif kind == "individual":  # keyed by the resident ID (R-SUBJ-1): stallholders, drivers, home workshops
            industry = rng.choice(INDIVIDUAL_INDUSTRIES)
            code = _resident_id(rng, people, division, date(1955, 1, 1), date(2003, 12, 31))
            name = person
        elif kind == "institution":
            digits, industry, words = rng.choice(INSTITUTIONS)
            code = generate_uscc(next(numbers), digits[0], digits[1], division)
            name = _unique(names, lambda: f"示范市{district}{rng.choice(words)}")
        else:  # a construction project, by the housing department's registry number (R-SUBJ-3)
            industry, code = "建筑施工", f"JS{division}-{n:05d}"
            name = _unique(names, lambda: f"示范市{district}{rng.choice(PROJECT_WORDS)}"
                                          f"{rng.choice('一二三四五')}期工程")
        rows.append([_KIND_LABEL[kind], code, name, f"示范市{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                     person, f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}", district, industry,
                     *_standing(rng, industry)])
    return rows


_KIND_LABEL = {"enterprise": "企业", "individual": "个人", "institution": "机关事业单位", "project": "项目"}


def _standing(rng: random.Random, industry: str) -> list:
    """Risk, credit class, flags, complaints, exemption, deregistration and tags: risk follows the credit class."""
    credit = rng.choices([c for c, _ in CREDIT], weights=[w for _, w in CREDIT])[0]
    high = HIGH_RISK[credit] + (0.2 if industry in HAZARDOUS else 0)
    roll = rng.random()
    risk = "高" if roll < high else "中" if roll < high + 0.35 else "低"
    abnormal = rng.random() < {"C": 0.08, "D": 0.3}.get(credit, 0.015)
    key_attention = rng.random() < (0.2 if risk == "高" else 0.01)
    dishonest = rng.random() < (0.4 if credit == "D" else 0.002)
    serious = rng.random() < (0.1 if credit == "D" else 0.0005)
    complaints = rng.choices([0, 1, 2, 3, 5], weights=[85, 8, 4, 2, 1])[0]
    exempt = credit == "A" and risk == "低" and rng.random() < 0.2  # 免检免扰: trusted subjects (R-DRAW-4)
    deregistered = rng.random() < 0.005
    tags = [t for t in INDUSTRIES[industry][2] if rng.random() < 0.3]
    yes = {True: "是", False: "否"}
    return [risk, credit, yes[abnormal], yes[key_attention], yes[dishonest], yes[serious], complaints, yes[exempt],
            yes[deregistered], "、".join(tags)]


INSPECTOR_HEADER = ["身份证号", "姓名", "所属部门", "职务", "执法证号", "执法证有效期", "资质", "区域", "联系电话", "状态",
                    "不可用截止"]


def demo_inspectors(departments: list[str], today: date) -> list[DemoInspector]:
    """Ten per department, certified until one to three years from today; per department the last one is away
    for a month, and in every other department one more for three days; one scjg certificate expired last month."""
    rng = random.Random(SEED + 1)
    people: set[str] = set()
    found = []
    for d, department in enumerate(departments):
        division = DISTRICTS[d % len(DISTRICTS)][1]
        for n in range(INSPECTORS_PER_DEPARTMENT):
            resident_id = _resident_id(rng, people, division, date(1966, 1, 1), date(1998, 12, 31))
            expires = today + timedelta(days=rng.randint(365, 3 * 365))
            away = None
            if n == INSPECTORS_PER_DEPARTMENT - 1:
                away = today + timedelta(days=30)
            elif n == INSPECTORS_PER_DEPARTMENT - 2 and d % 2 == 0:
                away = today + timedelta(days=3)
            if department == "scjg" and n == 3:
                expires = today - timedelta(days=30)
            found.append(DemoInspector(resident_id, department, expires, away))
    return found


def inspector_rows(departments: list[str], today: date) -> list[list]:
    rng = random.Random(SEED + 2)
    rows = []
    for n, inspector in enumerate(demo_inspectors(departments, today)):
        male = int(inspector.resident_id[16]) % 2 == 1
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
        department = inspector.department
        specialties = DEPARTMENT_SPECIALTIES.get(department, [])
        rows.append([inspector.resident_id, name, department, POSTS[n % INSPECTORS_PER_DEPARTMENT],
                     f"SF{department.upper()}{n + 1:04d}", inspector.certificate_expires.isoformat(),
                     "、".join(rng.sample(specialties, k=min(len(specialties), rng.randint(1, 2)))),
                     rng.choice(DISTRICTS)[0], f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                     "不可用" if inspector.unavailable_until else "在岗",
                     inspector.unavailable_until.isoformat() if inspector.unavailable_until else ""])
    return rows


def _brand(rng: random.Random) -> str:
    return rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)


def _shop(word: str) -> str:
    """How a 个体工商户 is named: 张记面馆, 李记机械制造经营部."""
    return word if word[-1] in "店馆行房厂部院所心城" else word + "经营部"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_MALE + GIVEN_FEMALE)


def _unique(taken: set[str], make: Callable[[], str]) -> str:
    """A name no other subject bears: a few tries, then a shop number."""
    name = make()
    for _ in range(4):
        if name not in taken:
            break
        name = make()
    base, k = name, 2
    while name in taken:
        name, k = f"{base}（{k}号店）", k + 1
    taken.add(name)
    return name


def _resident_id(rng: random.Random, taken: set[str], division: str, first: date, last: date) -> str:
    """A valid resident ID (GB 11643-1999) not handed out yet: a birth date in [first, last], any sequence."""
    while True:
        born = first + timedelta(days=rng.randint(0, (last - first).days))
        first17 = f"{division}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        code = first17 + resident_id_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code
