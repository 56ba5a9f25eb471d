"""One archive file per subject of a completed task (R-ARCH-1): a ZIP of JSON parts and a printable HTML record,
with a manifest holding each part's SHA-256. The parts are read before the command (the read models caught up to
the log's head); `SubjectFiles.build` then makes each subject's file from them and the task as the command read it."""
from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api.http.routes.departments import department_names
from api.http.routes.visits import notice_views
from api.storage import checklist
from api.storage.inspectors import public_identities
from domain.joint_task import JointTask
from domain.result_rules import METHODS, OUTCOMES
from domain.working_days import local_date
from projections import afterlife as afterlife_read
from projections import queries

ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # every entry's stamp: a file's bytes depend on its content alone


def _json(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, (date, datetime)):
            return obj.isoformat()
        return str(obj)
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=default).encode("utf-8")


@dataclass
class SubjectFiles:
    """What every subject's file of one task needs from the read side, read once."""

    names: dict[str, str]
    item_names: dict[str, str]
    people: dict[str, dict]
    objections: list[dict]
    requests: list[dict]
    timeline: list[dict]
    notices: dict[str, dict]

    @classmethod
    def read(cls, services: Any, task: JointTask) -> "SubjectFiles":
        names = department_names(services)
        teams = [i for m in task.matchings.values() for team in (m.get("teams") or {}).values() for i in team]
        results = [i for r in task.results.values() for i in r["inspectors"]]
        with services.engine.connect() as conn:
            item_names = checklist.item_names(conn, list(task.items))
            people = public_identities(conn, teams + results)
        today = local_date(services.clock.now())
        objections = afterlife_read.list_objections(services.engine, today=today, task_id=str(task.id),
                                                    limit=100_000).items
        requests = afterlife_read.list_requests(services.engine, today=today, task_id=str(task.id),
                                                limit=100_000).items
        notices = {n["subject_code"]: n for n in notice_views(services, task, list(task.visit_notices), names)}
        return cls(names=names, item_names=item_names, people=people, objections=objections, requests=requests,
                   timeline=queries.timeline(services.engine, str(task.id)), notices=notices)

    def build(self, task: JointTask, subject: str) -> tuple[bytes, dict[str, str]]:
        """The subject's ZIP and each part's SHA-256 (the manifest's, recorded on the task's event)."""
        parts = {
            "task.json": _json(self._task(task)),
            "draw.json": _json(self._draw(task)),
            "notice.json": _json(self.notices.get(subject)),
            "results.json": _json(self._results(task, subject)),
            "objections.json": _json([o for o in self.objections if o["subject_code"] == subject]),
            "requests.json": _json([r for r in self.requests if r["subject_code"] == subject]),
            "timeline.json": _json(self.timeline),
        }
        parts["record.html"] = self._html(task, subject, parts).encode("utf-8")
        hashes = {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()}
        manifest = {"task_id": str(task.id), "task_number": task.number, "subject_code": subject,
                    "rule": "R-ARCH-1", "parts": {n: {"sha256": h, "size": len(parts[n])} for n, h in hashes.items()}}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in [("manifest.json", _json(manifest)), *parts.items()]:
                archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_TIME), data,
                                 compress_type=zipfile.ZIP_DEFLATED)
        return out.getvalue(), hashes

    def _task(self, task: JointTask) -> dict:
        return {"task_id": str(task.id), "number": task.number, "title": task.title,
                "lead_department": self.names.get(task.lead_department, task.lead_department),
                "participants": [self.names.get(d, d) for d in task.participants],
                "items": [self.item_names.get(i, i) for i in task.items], "window": [task.window_start, task.window_end],
                "pushed_at": task.pushed_at, "agreed_day": task.agreed_day, "archive_due": task.archive_due}

    @staticmethod
    def _draw(task: JointTask) -> dict | None:
        record = task.draws.get(task.current_draw) if task.current_draw else None
        return {"draw_id": task.current_draw, **record} if record else None

    def _results(self, task: JointTask, subject: str) -> list[dict]:
        out = []
        for rid, r in task.results.items():
            if r["subject"] != subject:
                continue
            out.append({"result_id": rid, "department": self.names.get(r["department"], r["department"]),
                        "version": r["version"], "fields": r["fields"], "earlier_versions": r["versions"],
                        "inspectors": [self.people.get(i, {"name": "", "certificate_no": ""}) for i in r["inspectors"]],
                        "confidential_note": r["confidential_note"], "recorded_at": r["recorded_at"],
                        "recorded_by": r["recorded_by"], "approved_by": r["approved_by"],
                        "published_at": r["published_at"], "late": r["late"],
                        "corrected_at": r.get("corrected_at"), "correction_reason": r.get("correction_reason")})
        return out

    def _html(self, task: JointTask, subject: str, parts: dict[str, bytes]) -> str:
        e = html.escape
        results = json.loads(parts["results.json"])
        objections = json.loads(parts["objections.json"])
        requests = json.loads(parts["requests.json"])
        notice = self.notices.get(subject)
        rows = "".join(
            f"<tr><td>{e(r['department'])}</td><td>{e(OUTCOMES.get(r['fields']['outcome'], (r['fields']['outcome'],))[0])}</td>"
            f"<td>{e('、'.join(METHODS.get(m, m) for m in r['fields']['methods']))}</td>"
            f"<td>{e(r['fields']['findings'])}</td><td>{e(str(r['fields']['inspected_on']))}</td>"
            f"<td>{e(str(r['published_at'] or ''))}</td><td>第 {r['version']} 版</td></tr>" for r in results)
        listed = "".join(f"<li>{e(o['reason'])}（{e(o['status'])}）{e(o['answer'])}</li>" for o in objections) or "<li>无</li>"
        asked = "".join(f"<li>{e(r['content'])}（{e(r['status'])}）{e(r['answer'])}</li>" for r in requests) or "<li>无</li>"
        timeline = "".join(f"<li>{e(str(t['at']))} {e(t['event_type'])}</li>" for t in self.timeline)
        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>检查档案 {e(task.number or str(task.id))} {e(subject)}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px}}@page{{size:A4;margin:15mm}}</style></head><body>
<h1>部门联合双随机抽查检查档案</h1>
<p>任务：{e(task.number or "")} {e(task.title)}；牵头部门：{e(self.names.get(task.lead_department, task.lead_department))}；
联合检查日：{e(str(task.agreed_day))}</p>
<p>检查对象：{e(subject)}；告知书：{e(notice["number"]) if notice else "未发告知书（不预先告知的检查）"}</p>
<h2>抽取记录</h2><p>抽取编号 {e(str(task.current_draw))}；承诺值、随机种子与候选名单指纹见 draw.json。</p>
<h2>检查结果</h2><table><tr><th>部门</th><th>结果</th><th>方式</th><th>检查情况</th><th>检查日期</th><th>公示时间</th>
<th>版本</th></tr>{rows}</table>
<h2>异议</h2><ul>{listed}</ul><h2>企业诉求</h2><ul>{asked}</ul>
<h2>办理记录</h2><ol>{timeline}</ol>
<p>各部分的 SHA-256 见 manifest.json。</p></body></html>"""
