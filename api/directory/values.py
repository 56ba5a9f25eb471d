"""Parsers of one cell each (CSV text or an XLSX value), raising Invalid with a Chinese reason a person can act on."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

Parser = Callable[[Any], Any]

TRUE_WORDS = frozenset({"是", "true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"否", "false", "f", "no", "n", "0", ""})
RISK_LEVELS = {"low": "low", "低": "low", "低风险": "low",
               "medium": "medium", "中": "medium", "中风险": "medium", "一般": "medium", "一般风险": "medium",
               "high": "high", "高": "high", "高风险": "high", "较高": "high", "较高风险": "high", "": ""}
CREDIT_CLASSES = frozenset({"A", "B", "C", "D", ""})
GENDERS = {"male": "male", "m": "male", "男": "male", "female": "female", "f": "female", "女": "female"}
STATUSES = {"active": "active", "在岗": "active", "正常": "active", "可用": "active", "": "active",
            "unavailable": "unavailable", "不可用": "unavailable", "暂不可用": "unavailable", "暂停": "unavailable"}
SUBJECT_KINDS = {  # R-SUBJ-3; "" = inferred from the code (api.directory.specs)
    "enterprise": "enterprise", "企业": "enterprise",
    "individual": "individual", "个体": "individual", "个人": "individual", "个体工商户": "individual",
    "自然人": "individual",
    "institution": "institution", "机关事业单位": "institution", "机关、事业单位、社会组织": "institution",
    "机关": "institution", "事业单位": "institution", "社会组织": "institution",
    "product": "product", "产品": "product", "project": "project", "项目": "project",
    "behaviour": "behaviour", "behavior": "behaviour", "行为": "behaviour", "活动": "behaviour",
    "行为/活动": "behaviour", "": "",
}
_TAG_SPLIT = re.compile(r"[,，;；|、\n]+")
_DATE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$")
MAX_TAGS, MAX_TAG_LENGTH = 50, 32


class Invalid(ValueError):
    """A cell that cannot be stored; the message names what is wrong (the field label is added by the caller)."""


def cell_text(value: Any) -> str:
    """A cell as text: XLSX numbers without a spurious '.0', dates as YYYY-MM-DD, empty cells as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def text(max_length: int, required: bool = False) -> Parser:
    """Free text up to max_length characters; required text may not be empty."""
    def parse(value: Any) -> str:
        result = value.strip() if type(value) is str else cell_text(value)
        if len(result) > max_length:
            raise Invalid(f"不能超过 {max_length} 个字符（现有 {len(result)} 个）")
        if required and not result:
            raise Invalid("不能为空")
        return result
    return parse


def boolean(value: Any) -> bool:
    """是/否, true/false, yes/no, 1/0; an empty cell is 否."""
    if isinstance(value, bool):
        return value
    word = (value.strip() if type(value) is str else cell_text(value)).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(f"「{word}」不是是/否，请填 是、否、true、false、1 或 0")


def count(value: Any) -> int:
    """A whole number from 0 up; an empty cell is 0."""
    word = value.strip() if type(value) is str else cell_text(value)
    if not word:
        return 0
    if not word.isdigit() or not word.isascii() or len(word) > 9:
        raise Invalid(f"「{word}」不是 0 或正整数")
    return int(word)


def credit_class(value: Any) -> str:
    """A, B, C or D (信用风险分类; '类'/'级' suffixes accepted); empty means not yet classified."""
    word = (value.strip() if type(value) is str else cell_text(value)).upper().rstrip("类级")
    if word not in CREDIT_CLASSES:
        raise Invalid(f"「{word}」不是 A、B、C、D 之一")
    return word


def risk_level(value: Any) -> str:
    """low/medium/high, or 低/中/高 (低风险, 一般风险, 较高风险, 高风险); empty means unknown."""
    word = (value.strip() if type(value) is str else cell_text(value)).lower()
    try:
        return RISK_LEVELS[word]
    except KeyError:
        raise Invalid(f"「{word}」不是 低、中、高（low、medium、high）之一") from None


def subject_kind(value: Any) -> str:
    """企业/个体/个人/机关事业单位/产品/项目/行为 or the English ids; empty: inferred from the code (R-SUBJ-3)."""
    word = (value.strip() if type(value) is str else cell_text(value)).lower()
    try:
        return SUBJECT_KINDS[word]
    except KeyError:
        raise Invalid(f"「{word}」不是 企业、个人、机关事业单位、产品、项目、行为 之一") from None


def tags(value: Any) -> str:
    """Free tags separated by , ， ; ； | 、 or new lines; stored de-duplicated and joined by ','."""
    word = value if type(value) is str else cell_text(value)
    found: list[str] = []
    for tag in _TAG_SPLIT.split(word):
        tag = tag.strip()
        if tag and tag not in found:
            if len(tag) > MAX_TAG_LENGTH:
                raise Invalid(f"标签「{tag[:10]}…」超过 {MAX_TAG_LENGTH} 个字符")
            found.append(tag)
    if len(found) > MAX_TAGS:
        raise Invalid(f"最多 {MAX_TAGS} 个标签")
    return ",".join(found)


def optional_date(value: Any) -> date | None:
    """YYYY-MM-DD (or / . 年月日 separators, or YYYYMMDD, or an XLSX date cell); empty means none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    word = value.strip() if type(value) is str else cell_text(value)
    if not word:
        return None
    match = _DATE.match(word)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise Invalid(f"「{word}」不是有效日期，格式应为 YYYY-MM-DD")


def choice(mapping: dict[str, str], what: str) -> Parser:
    """One of the mapping's words (case-insensitive), stored as its machine value."""
    def parse(value: Any) -> str:
        word = (value.strip() if type(value) is str else cell_text(value)).lower()
        try:
            return mapping[word]
        except KeyError:
            raise Invalid(f"「{word}」不是{what}") from None
    return parse


def split_tags(stored: str) -> list[str]:
    return [t for t in stored.split(",") if t]
