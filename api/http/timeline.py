"""Readable Chinese sentences for timeline rows (who did what, when)."""
from __future__ import annotations

from typing import Callable

DECISIONS = {"accept": "参加", "decline": "不参加"}


def describe(row: dict, names: dict[str, str], item_names: dict[str, str] | None = None) -> str:
    """One sentence for one recorded event, naming departments and check items by their Chinese names."""
    data = row["data"]
    if item_names and data.get("item_ids"):
        data = data | {"item_ids": [item_names.get(i, i) for i in data["item_ids"]]}
    who = names.get(row["actor_department"], row["actor_department"])
    sentence = _SENTENCES.get(row["event_type"])
    return sentence(who, data, names) if sentence else f"{who}：{row['event_type']}"


def _names(codes: list[str], names: dict[str, str]) -> str:
    return "、".join(names.get(c, c) for c in codes)


# What another responding department may not read of a department's response (the lead and the office may):
# the task page's responses table hides the same, so the page has one source of truth (issue 15).
PRIVATE = {"Responded": ("item_ids", "reason"), "LateReasonGiven": ("reason",)}


def redacted(row: dict) -> dict:
    """The row without the private details of its event (see PRIVATE)."""
    hidden = PRIVATE.get(row["event_type"], ())
    return row | {"data": {k: v for k, v in row["data"].items() if k not in hidden}}


def _responded(who: str, d: dict, names: dict[str, str]) -> str:
    text = f"{who}响应：{DECISIONS.get(d['decision'], d['decision'])}"
    if d["decision"] == "accept" and "item_ids" in d:
        text += f"（事项：{'、'.join(d['item_ids'])}）"
    elif d["decision"] != "accept" and "reason" in d:
        text += f"（理由：{d['reason']}）"
    return text + ("，已逾期" if d.get("late") else "")


_SENTENCES: dict[str, Callable[[str, dict, dict[str, str]], str]] = {
    "Initiated": lambda who, d, n: (f"{who}发起联合任务“{d['title']}”，推送给{_names(d['responding_departments'], n)}，"
                                    f"响应期限 {d['response_deadline']}"),
    "Responded": _responded,
    "ResponseOverdue": lambda who, d, n: f"{who}未在期限 {d['deadline']} 前响应，系统已标记逾期",
    "LateReasonGiven": lambda who, d, n: f"{who}说明逾期理由：{d['reason']}" if "reason" in d else f"{who}说明了逾期理由",
    "InspectionDayProposed": lambda who, d, n: f"{who}提议联合检查日为 {d['day']}",
    "InspectionDayConfirmed": lambda who, d, n: f"{who}同意联合检查日 {d['day']}",
    "InspectionDayAgreed": lambda who, d, n: f"各参与部门已商定联合检查日为 {d['day']}",
    "Inspected": lambda who, d, n: f"{who}登记检查完成（{d['completed_on']}），结果应于 {d['publish_deadline']} 前公示",
    "Published": lambda who, d, n: f"{who}公示检查结果" + ("，已逾期" if d.get("late") else ""),
    "ResultRecorded": lambda who, d, n: (f"{who}录入对 {d.get('subject_name') or d['subject']}（{d['subject']}）的检查结果，"
                                         f"应于 {d['publish_deadline']} 前公示"),
    "ResultApproved": lambda who, d, n: f"{who}审核通过对 {d['subject']} 的检查结果",
    "ResultPublished": lambda who, d, n: f"{who}公示对 {d['subject']} 的检查结果" + ("，已逾期" if d.get("late") else ""),
    "ResultDeadlineRecomputed": lambda who, d, n: (f"工作日历调整，对 {d['subject']} 的结果公示期限由 {d['previous']} "
                                                   f"改为 {d['publish_deadline']}"),
    "VisitNoticesIssued": lambda who, d, n: f"{who}向 {d['count']} 户检查对象发出联合检查告知书（检查日 {d['day']}）",
    "ResultCorrected": lambda who, d, n: f"{who}更正对 {d['subject']} 的检查结果（第 {d['version']} 版）：{d['reason']}",
    "ResultsChased": lambda who, d, n: f"{who}催办检查结果：{_names(d['departments'], n)}",
    "ArchiveDue": lambda who, d, n: f"各部门已公示全部检查结果，任务完成；档案应于 {d['archive_due']} 前归档",
    "ArchiveDueRecomputed": lambda who, d, n: f"工作日历调整，档案归档期限由 {d['previous']} 改为 {d['archive_due']}",
    "SubjectsArchived": lambda who, d, n: f"{who}将 {d['count']} 户检查对象的档案归档" + ("，已逾期" if d.get("late") else ""),
    "Cancelled": lambda who, d, n: f"{who}撤销任务：{d['reason']}",
    "DeadlineRecomputed": lambda who, d, n: f"工作日历调整，响应期限由 {d['previous']} 改为 {d['response_deadline']}",
    "Merged": lambda who, d, n: f"{who}将本任务并入任务 {d['into_task_id']}",
    "MergeAbsorbed": lambda who, d, n: (f"{who}将任务 {d['from_task_id']} 并入本任务"
                                        + (f"，新增部门：{_names(d['departments'], n)}" if d["departments"] else "")),
}
