"""What a directory row is: its fields, the column headers a file may use for them, and whole-row checks.

Accepted headers (case, blanks, a trailing '*' and full-width brackets are ignored; unknown columns are reported
and skipped). Subjects (R-SUBJ-1..4): code 统一社会信用代码/社会信用代码/信用代码/代码/身份证号/证件号码/
登记编号/对象代码 (required), subject_kind 对象类型/检查对象类型/对象类别 (optional, see below),
name 名称/对象名称/企业名称/主体名称 (required), address 地址/住所/经营地址, legal_representative 法定代表人/
负责人/法定代表人(负责人)/经营者, contact 联系方式/联系电话/电话, region 区域/所属区域/地区/行政区划,
industry 行业/所属行业, risk_level 风险等级, credit_class 信用等级/信用分类/信用风险分类, abnormal_operation
经营异常/经营异常名录/列入经营异常名录, key_attention 重点关注/重点关注名单,
dishonest 失信/失信记录/失信名单, serious_violation 严重违法/严重违法失信/严重违法失信名单, complaints_count 投诉次数/
投诉举报次数/投诉数, exempt 免检/免检免扰/免检名单, deregistered 注销/已注销/注销吊销/注销或吊销, tags 标签.
Inspectors (R-INSP-1): resident_id 身份证号/身份证号码/公民身份号码 (required), name 姓名 (required), gender 性别
(empty: from the ID), department_code 部门/部门代码/所属部门 (code or name; empty: the importing department),
post 职务/岗位, certificate_no 执法证号/执法证件号/执法证编号, certificate_expires 执法证有效期/有效期至/证件有效期至,
qualifications 资质/资质标签/专业领域, area 区域/片区/负责区域, contact 联系方式/联系电话/电话, status 状态,
unavailable_until 不可用截止/暂停至/不可用至. The English field names are accepted as headers too.
Values: flags 是/否, true/false, yes/no, y/n, 1/0 (empty = 否); credit class A–D (empty = not classified);
risk 低/中/高 or low/medium/high (一般 = 中, 较高 = 高); tags split on , ， ; ； | 、; dates YYYY-MM-DD (or / . 年月日);
gender 男/女; status 在岗/不可用 (active/unavailable, the latter needs its end date).
Subject kinds (R-SUBJ-3): 企业 enterprise, 个体/个人 individual, 机关事业单位 (机关/事业单位/社会组织) institution,
产品 product, 项目 project, 行为 (活动) behaviour. The code must fit the kind (domain.codes: USCC, resident ID or
the department's registry number). An empty kind cell is inferred from the code: a valid resident ID is an
individual, a valid USCC an enterprise; a registry number must say its kind. A file without the kind column
sets the inferred kind on new subjects only: existing subjects keep theirs, as with any column left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from sqlalchemy import Table

from api.directory import values as v
from api.storage.tables import inspectors, subjects
from domain.codes import (
    SUBJECT_KINDS, USCC_KINDS, code_fits_kind, infer_subject_kind, is_registry_number_shape, is_valid_resident_id,
    looks_like_uscc_or_resident_id, normalize_code, resident_id_gender,
)


@dataclass(frozen=True)
class Context:
    """What validation needs to know besides the row: today, the departments, and whose import it is."""

    today: date
    departments: dict[str, str]  # department code or name → code
    scope_department: str | None  # a department may only write its own inspectors; None: the office (any)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple[str, ...]
    make_parser: Callable[[Context], v.Parser]
    strategy: str = "memo"  # how a CSV column is parsed fast (api.directory.parsing): memo, text, code, scalar
    text: tuple[int, bool] | None = None  # (max length, required) for the "text" strategy


@dataclass(frozen=True)
class Spec:
    kind: str  # the import kind and URL segment: subjects / inspectors
    entity: str  # change_log.entity
    table: Table
    key: str
    fields: tuple[Field, ...]  # the key first
    always: tuple[str, ...] = ()  # fields every row carries, filled by check_row when no column gives them
    create_only: tuple[str, ...] = ()  # of `always`: with no column giving them, an existing record keeps its value
    check_row: Callable[[dict, Context], str | None] | None = None  # may fill derived fields; returns a reason
    # the same rule a chunk's columns at once (imports: no dict per row); adds reasons to errors[position]
    check_columns: Callable[[dict[str, list], Context, dict[int, list[str]]], None] | None = None
    check_existing: Callable[[dict | None, dict, Context], str | None] | None = None  # against the stored row

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _fixed(parser: v.Parser) -> Callable[[Context], v.Parser]:
    return lambda ctx: parser


def _text(name: str, label: str, aliases: tuple[str, ...], max_length: int, required: bool = False) -> Field:
    """A free-text field of many distinct values (names, addresses): stripped and length-checked."""
    return Field(name, label, aliases, _fixed(v.text(max_length, required)), "text", (max_length, required))


def _code_cell(value: Any) -> str:
    """A code cell as text, upper-cased and trimmed; refused when empty or stored by Excel as a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise v.Invalid("被 Excel 存成了数字（会丢失位数），请把该列设为文本格式后重新填写")
    code = normalize_code(v.cell_text(value))
    if not code:
        raise v.Invalid("不能为空")
    return code


def _subject_code(ctx: Context) -> v.Parser:
    """The code's shape only; whether it fits the subject's kind is _check_subject's (R-SUBJ-1, R-SUBJ-3)."""
    def parse(value: Any) -> str:
        code = _code_cell(value)
        if not is_registry_number_shape(code):
            raise v.Invalid(f"「{code[:20]}」不是有效的代码（统一社会信用代码、身份证号为 18 位；产品、项目、行为的"
                            "登记编号为 1–32 位大写字母、数字或“-”，首尾不能是“-”）")
        return code
    return parse


class CodeProblem(str):
    """A row's reason that is about its code itself (it does not fit the kind): a PUT answers it as invalid_code."""


def _check_subject_kinds(columns: dict[str, list], ctx: Context, errors: dict[int, list[str]]) -> None:
    """Each row's kind, inferred from the code when not given, and a code that fits it (R-SUBJ-1, R-SUBJ-3)."""
    codes, kinds, today = columns["code"], columns["subject_kind"], ctx.today
    for i, kind in enumerate(kinds):
        if i in errors:
            continue
        code = codes[i]
        if not kind:
            kinds[i] = infer_subject_kind(code, today)
            if kinds[i] is None:
                errors[i] = [CodeProblem(_uninferable(code))]
        elif not code_fits_kind(code, kind, today):  # GB 32100 / GB 11643 check character, or registry number
            errors[i] = [CodeProblem(_misfit(code, kind, ctx))]


def _check_subject(row: dict, ctx: Context) -> str | None:
    """_check_subject_kinds for one record (PUT)."""
    columns, errors = {"code": [row["code"]], "subject_kind": [row["subject_kind"]]}, {}  # type: ignore[var-annotated]
    _check_subject_kinds(columns, ctx, errors)
    row["subject_kind"] = columns["subject_kind"][0]
    return errors[0][0] if errors else None


def _uninferable(code: str) -> str:
    if looks_like_uscc_or_resident_id(code):
        return (f"统一社会信用代码/身份证号「{code}」无效（位数、字符或校验位不对）；如是产品、项目或行为的登记编号，"
                "请注明对象类型")
    return f"「{code}」不是统一社会信用代码或身份证号，须注明对象类型（产品、项目或行为的登记编号）"


def _misfit(code: str, kind: str, ctx: Context) -> str:
    """Why `code` does not fit `kind`, with the kind it does fit when there is one."""
    label = SUBJECT_KINDS[kind]
    other = infer_subject_kind(code, ctx.today)
    if kind in USCC_KINDS:
        reason = f"对象类型为「{label}」，代码须为有效的统一社会信用代码，「{code}」不是（位数、字符或校验位不对）"
        hint = "；它是有效的身份证号，个人请填对象类型「个人」" if other == "individual" else ""
    elif kind == "individual":
        reason = f"对象类型为「{label}」，代码须为有效的身份证号，「{code}」不是（位数、出生日期或校验位不对）"
        hint = "；它是统一社会信用代码，已领取统一社会信用代码的个体工商户请填对象类型「企业」" if other else ""
    else:
        reason = (f"对象类型为「{label}」，代码须为本部门的登记编号，「{code}」是 18 位不含“-”的代码，"
                  "与统一社会信用代码、身份证号同形，不能作登记编号（确为本部门编号的，请加前缀或用“-”分隔）")
        hint = (f"；它是有效的{'身份证号' if other == 'individual' else '统一社会信用代码'}，请改填对应的对象类型"
                if other else "")
    return reason + hint


def _resident_id(ctx: Context) -> v.Parser:
    def parse(value: Any) -> str:
        code = _code_cell(value)
        if not is_valid_resident_id(code, ctx.today):  # R-INSP-1: GB 11643-1999 check digit and birth date
            raise v.Invalid(f"「{code[:20]}」不是有效的身份证号（位数、出生日期或校验位不对）")
        return code
    return parse


def _department(ctx: Context) -> v.Parser:
    def parse(value: Any) -> str:
        word = v.cell_text(value)
        if not word:
            return ""
        code = ctx.departments.get(word) or ctx.departments.get(word.lower())
        if code is None:
            raise v.Invalid(f"「{word}」不是已登记的部门代码或名称")
        return code
    return parse


SUBJECT = Spec(
    kind="subjects", entity="subject", table=subjects, key="code",
    fields=(
        Field("code", "统一社会信用代码/身份证号/登记编号",
              ("统一社会信用代码", "社会信用代码", "信用代码", "代码", "身份证号", "身份证号码", "证件号码", "uscc",
               "登记编号", "对象代码"),
              _subject_code, "code"),
        Field("subject_kind", "对象类型", ("对象类型", "检查对象类型", "对象类别"), _fixed(v.subject_kind)),
        _text("name", "名称", ("名称", "对象名称", "企业名称", "主体名称", "检查对象名称"), 200, required=True),
        _text("address", "地址", ("地址", "住所", "经营地址", "住所(经营场所)"), 300),
        _text("legal_representative", "法定代表人", ("法定代表人", "负责人", "法定代表人(负责人)", "经营者"), 100),
        _text("contact", "联系方式", ("联系方式", "联系电话", "电话"), 100),
        Field("region", "区域", ("区域", "所属区域", "地区", "行政区划"), _fixed(v.text(64))),
        Field("industry", "行业", ("行业", "所属行业"), _fixed(v.text(64))),
        Field("risk_level", "风险等级", ("风险等级",), _fixed(v.risk_level)),
        Field("credit_class", "信用等级", ("信用等级", "信用分类", "信用风险分类"), _fixed(v.credit_class)),
        Field("abnormal_operation", "经营异常名录", ("经营异常", "经营异常名录", "列入经营异常名录"), _fixed(v.boolean)),
        Field("key_attention", "重点关注", ("重点关注", "重点关注名单"), _fixed(v.boolean)),
        Field("dishonest", "失信", ("失信", "失信记录", "失信名单"), _fixed(v.boolean)),
        Field("serious_violation", "严重违法", ("严重违法", "严重违法失信", "严重违法失信名单"), _fixed(v.boolean)),
        Field("complaints_count", "投诉次数", ("投诉次数", "投诉举报次数", "投诉数"), _fixed(v.count)),
        Field("exempt", "免检", ("免检", "免检免扰", "免检名单"), _fixed(v.boolean)),
        Field("deregistered", "注销吊销", ("注销", "已注销", "注销吊销", "注销或吊销"), _fixed(v.boolean)),
        Field("tags", "标签", ("标签",), _fixed(v.tags)),
    ),
    always=("subject_kind",),
    create_only=("subject_kind",),
    check_row=_check_subject,
    check_columns=_check_subject_kinds,
)


def _check_inspector(row: dict, ctx: Context) -> str | None:
    """Fill gender and department when not given; a department writes its own staff only (R-INSP-1)."""
    from_id = resident_id_gender(row["resident_id"])
    if not row.get("gender"):
        row["gender"] = from_id
    elif row["gender"] != from_id:
        return "性别与身份证号不一致（身份证号第 17 位单数为男、双数为女）"
    if not row.get("department_code"):
        if ctx.scope_department is None:
            return "所属部门不能为空（联席办导入时须逐行填写部门代码或名称）"
        row["department_code"] = ctx.scope_department
    elif ctx.scope_department is not None and row["department_code"] != ctx.scope_department:
        return f"只能导入本部门（{ctx.scope_department}）的执法人员，该行填写的是 {row['department_code']}"
    if "status" in row:
        if row["status"] == "unavailable" and row.get("unavailable_until") is None:
            return "状态为不可用时须填写不可用截止日期"
        if row["status"] == "active":
            row["unavailable_until"] = None
    return None


def _check_existing_inspector(before: dict | None, row: dict, ctx: Context) -> str | None:
    """A department may not take over, or change, another department's inspector (R-INSP-1)."""
    if before is not None and ctx.scope_department is not None and before["department_code"] != ctx.scope_department:
        return f"该执法人员已登记在其他部门（{before['department_code']}），只能由该部门或联席办修改"
    return None


INSPECTOR = Spec(
    kind="inspectors", entity="inspector", table=inspectors, key="resident_id",
    fields=(
        Field("resident_id", "身份证号", ("身份证号", "身份证号码", "公民身份号码"), _resident_id, "scalar"),
        _text("name", "姓名", ("姓名",), 50, required=True),
        Field("gender", "性别", ("性别",), _fixed(v.choice(v.GENDERS | {"": ""}, "男、女之一"))),
        Field("department_code", "所属部门", ("部门", "部门代码", "所属部门"), _department),
        Field("post", "职务", ("职务", "岗位"), _fixed(v.text(100))),
        _text("certificate_no", "执法证号", ("执法证号", "执法证件号", "执法证编号"), 64),
        Field("certificate_expires", "执法证有效期", ("执法证有效期", "有效期至", "证件有效期至"),
              _fixed(v.optional_date)),
        Field("qualifications", "资质标签", ("资质", "资质标签", "专业领域"), _fixed(v.tags)),
        Field("area", "区域", ("区域", "片区", "负责区域"), _fixed(v.text(100))),
        _text("contact", "联系方式", ("联系方式", "联系电话", "电话"), 100),
        Field("status", "状态", ("状态",), _fixed(v.choice(v.STATUSES, "在岗、不可用之一"))),
        Field("unavailable_until", "不可用截止日期", ("不可用截止", "暂停至", "不可用至"), _fixed(v.optional_date)),
    ),
    always=("gender", "department_code"),
    check_row=_check_inspector,
    check_existing=_check_existing_inspector,
)

SPECS = {SUBJECT.kind: SUBJECT, INSPECTOR.kind: INSPECTOR}

_IGNORED = re.compile(r"[\s*＊]")


def normalize_header(cell: Any) -> str:
    """A header cell compared loosely: no blanks or '*', lower case, full-width brackets as ASCII."""
    word = v.cell_text(cell).lstrip("\ufeff").replace("（", "(").replace("）", ")")
    return _IGNORED.sub("", word).lower()


@dataclass
class Columns:
    """Which file column feeds which field, and what was left out."""

    indexes: dict[str, int] = field(default_factory=dict)  # field → column index
    ignored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    width: int = 0  # cells a row has when it has one per header cell


def map_header(spec: Spec, header: list[Any]) -> Columns:
    """Match header cells to fields; a duplicate field or a missing key/name column is a problem."""
    lookup = {normalize_header(alias): f.name for f in spec.fields for alias in (*f.aliases, f.name)}
    columns = Columns()
    for index, cell in enumerate(header):
        name = normalize_header(cell)
        if not name:
            continue
        target = lookup.get(name)
        if target is None:
            columns.ignored.append(v.cell_text(cell))
        elif target in columns.indexes:
            columns.problems.append(f"「{spec.field(target).label}」列出现了两次（第 {index + 1} 列）")
        else:
            columns.indexes[target] = index
    for required in (spec.key, "name"):
        if required not in columns.indexes:
            columns.problems.append(f"缺少「{spec.field(required).label}」列")
    columns.width = max([len(header), *(i + 1 for i in columns.indexes.values())])
    return columns
