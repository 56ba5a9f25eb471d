// The joint meeting office's oversight tables beyond late responses (R-OVER-1, R-JOINT-5, R-PUB-1, R-JOINT-8):
// tasks without an agreed inspection day, overdue results, and fusion suggestions. Department figures and their
// charts are in oversight-figures.js; the shared frame (as_of, exports) in oversight-common.js.
import { api, lastPosition } from "../api.js";
import { departmentNames } from "../data.js";
import { h } from "../dom.js";
import { TASK_STATUS, date, dateTime, taskNumber } from "../format.js";
import { heading, statusBadge } from "../ui.js";
import { gridTable, oversightPage } from "./oversight-common.js";

export { departmentFiguresView } from "./oversight-figures.js";

const RESULT_STATE = { not_entered: "检查后未录入结果", not_published: "逾期未公示" };

function taskLink(id, title) {
  return h("a", { href: `#/tasks/${id}` }, title || taskNumber({ id }));
}

/** 未确定检查日: live tasks whose responses are in (or overdue) and whose inspection day is not agreed. */
export async function tasksWithoutDayView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/tasks-without-day", path: "/oversight/tasks-without-day", name: "tasks-without-day",
    title: "未确定检查日",
    lead: "各部门已响应完毕（或响应已逾期），但尚未商定联合检查日的进行中任务，按响应期限先后排列。",
    render: (body) => gridTable({
      className: "no-day-table", caption: "未确定检查日的任务",
      headers: ["任务名称", "牵头部门", "状态", "推送时间", "响应期限", "未响应部门数", "提议检查日", "距窗口结束"],
      rows: body.items.map((t) => h("tr", { "data-task-id": t.task_id },
        h("td", { class: "title-cell" }, taskLink(t.task_id, t.title)),
        h("td", {}, t.lead_department_name || t.lead_department),
        h("td", {}, t.status in TASK_STATUS ? statusBadge(t.status) : t.status),
        h("td", { class: "deadline" }, dateTime(t.pushed_at)),
        h("td", { class: "deadline" }, date(t.response_deadline)),
        h("td", { class: "num" }, String(t.pending)),
        h("td", { class: "deadline" }, t.proposed_day ? date(t.proposed_day) : "尚未提议"),
        h("td", { class: "num" }, t.window_days_left < 0 ? h("span", { class: "badge late" },
          `窗口已过 ${-t.window_days_left} 天`) : `${t.window_days_left} 天`))),
      empty: "没有待确定检查日的任务：各进行中任务要么仍在响应期内，要么已商定检查日。",
    }),
  });
}

/** 结果逾期: participants that have not entered their result after the visit, or not published it in time. */
export async function overdueResultsView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/overdue-results", path: "/oversight/overdue-results", name: "overdue-results",
    title: "结果逾期",
    lead: "联合检查日已过仍未录入检查结果，或检查后超过 20 个工作日仍未公示结果的参加部门（R-PUB-1）。",
    render: (body) => gridTable({
      className: "overdue-results-table", caption: "结果逾期列表",
      headers: ["任务名称", "部门", "联合检查日", "检查完成日期", "公示期限", "情形"],
      rows: body.items.map((r) => h("tr", { "data-task-id": r.task_id, "data-department": r.department },
        h("td", { class: "title-cell" }, taskLink(r.task_id, r.title)),
        h("td", {}, r.department_name || r.department),
        h("td", { class: "deadline" }, date(r.agreed_day)),
        h("td", { class: "deadline" }, r.inspected_on ? date(r.inspected_on) : "未录入"),
        h("td", { class: "deadline" }, r.publish_deadline ? date(r.publish_deadline) : "—"),
        h("td", {}, h("span", { class: `badge result-${r.state}` }, RESULT_STATE[r.state] || r.state)))),
      empty: "没有逾期的检查结果：各参加部门均已按期录入并公示。",
    }),
  });
}

/** 逾期未公示（按检查对象）: each result recorded but not published within its deadline, per subject and department. */
export async function overdueResultSubjectsView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/overdue-result-subjects", path: "/oversight/overdue-results/subjects",
    name: "overdue-result-subjects", title: "逾期未公示结果",
    lead: "已录入但超过公示期限（检查后 20 个工作日）仍未公示的检查结果，按检查对象和部门列出（R-PUB-1）。",
    render: (body) => gridTable({
      className: "overdue-result-subjects-table", caption: "逾期未公示结果列表",
      headers: ["检查对象", "部门", "检查日期", "公示期限"],
      rows: body.items.map((r) => h("tr", { "data-result-id": r.result_id, "data-department": r.department },
        h("td", { class: "title-cell" }, taskLink(r.task_id, r.subject_name || r.subject_code),
          h("div", { class: "muted" }, r.subject_code)),
        h("td", {}, r.department_name || r.department),
        h("td", { class: "deadline" }, date(r.inspected_on)),
        h("td", { class: "deadline" }, date(r.publish_deadline)))),
      empty: "没有逾期未公示的检查结果。",
    }),
  });
}

/** 融合建议: open tasks that drew the same subjects in overlapping windows; the lead of both or the office merges. */
export async function fusionSuggestionsView(ctx) {
  const [body, names] = await Promise.all([
    api("GET", "/oversight/fusion-suggestions", { query: { min_position: lastPosition() } }),
    departmentNames(),
  ]);
  const cell = (t) => h("td", { class: "title-cell" }, taskLink(t.task_id, t.title),
    h("div", { class: "muted" }, `${names[t.lead_department] || t.lead_department} 牵头 · `,
      `${date(t.window_start)} 至 ${date(t.window_end)}`));
  const rows = body.items.map((s) => {
    const [a, b] = s.tasks;
    const shown = s.shared_subjects.slice(0, 6);
    return h("tr", { "data-tasks": s.tasks.map((t) => t.task_id).join(" ") },
      cell(a), cell(b),
      h("td", { class: "num" }, String(s.shared_count)),
      h("td", { class: "mono" }, shown.join("、"),
        s.shared_subjects.length > shown.length ? ` 等 ${s.shared_subjects.length} 个` : ""),
      h("td", { class: "row-actions" },
        h("a", { href: `#/tasks/${a.task_id}`, class: "button" }, "查看任务一"),
        h("a", { href: `#/tasks/${b.task_id}`, class: "button" }, "查看任务二")));
  });
  return h("section", {}, heading("融合建议"),
    h("p", { class: "lead" }, "本年度抽中了相同检查对象、检查时间窗口又相互重叠的进行中任务，宜合并为一次联合检查"
      + "（R-JOINT-8）。两个任务的共同牵头部门或联席会议办公室可将其中一个融合到另一个。"),
    gridTable({
      className: "fusion-table", caption: "融合建议列表",
      headers: ["任务一", "任务二", "共同检查对象数", "共同检查对象（统一社会信用代码）", "操作"],
      rows,
      empty: "目前没有融合建议：本年度进行中的任务之间没有在重叠时间窗口内抽中相同检查对象的情况。",
    }),
    h("p", { class: "muted" }, `共 ${body.total} 条建议，按共同检查对象数从多到少排列。`));
}

const OBJECTION_STEP = { received: "逾期未复查", reviewed: "逾期未答复" };

/** 逾期异议: objections not reviewed within 20 working days, or not answered within 7 (15) of the review (R-OBJ-1). */
export async function overdueObjectionsView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/overdue-objections", path: "/oversight/overdue-objections", name: "overdue-objections",
    title: "逾期异议",
    lead: "检查对象对公示结果的异议：收到后 20 个工作日内未复查，或复查结论作出后 7 个工作日（部门规定可为 15 个）内未答复的（R-OBJ-1）。",
    render: (body) => gridTable({
      className: "overdue-objections-table", caption: "逾期异议列表",
      headers: ["检查对象", "部门", "逾期环节", "收到异议", "期限"],
      rows: body.items.map((o) => h("tr", { "data-objection-id": o.objection_id, "data-department": o.department },
        h("td", { class: "title-cell" }, taskLink(o.task_id, o.subject_name || o.subject_code),
          h("div", { class: "muted" }, o.subject_code)),
        h("td", {}, o.department_name || o.department), h("td", {}, OBJECTION_STEP[o.status] || o.step),
        h("td", {}, dateTime(o.lodged_at)), h("td", { class: "deadline" }, date(o.due)))),
      empty: "没有逾期的异议。",
    }),
  });
}

/** 逾期诉求: enterprise requests not answered within 7 working days of raising or forwarding (R-JOINT-9). */
export async function overdueRequestsView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/overdue-requests", path: "/oversight/overdue-requests", name: "overdue-requests",
    title: "逾期诉求",
    lead: "检查中企业提出、现场未能解决的诉求，超过 7 个工作日（转交的自转交之日起）仍未答复的（R-JOINT-9）。",
    render: (body) => gridTable({
      className: "overdue-requests-table", caption: "逾期诉求列表",
      headers: ["检查对象", "办理部门", "诉求内容", "提出时间", "期限"],
      rows: body.items.map((r) => h("tr", { "data-request-id": r.request_id, "data-department": r.department },
        h("td", { class: "title-cell" }, taskLink(r.task_id, r.subject_name || r.subject_code),
          h("div", { class: "muted" }, r.subject_code)),
        h("td", {}, r.department_name || r.department), h("td", {}, r.content),
        h("td", {}, dateTime(r.raised_at)), h("td", { class: "deadline" }, date(r.due)))),
      empty: "没有逾期的诉求。",
    }),
  });
}

/** 诉求季度汇总: each department's requests of a quarter, by kind, with the on-time rate (004 §47). */
export async function requestsSummaryView(ctx) {
  const now = new Date();
  const year = String(now.getFullYear());
  const quarter = String(Math.floor(now.getMonth() / 3) + 1);
  const pick = (name, fallback, pattern) => (pattern.test(ctx.params.get(name) || "") ? ctx.params.get(name) : fallback);
  return oversightPage(ctx, {
    route: "/oversight/requests-summary", path: "/oversight/requests-summary", name: "requests-summary",
    title: "诉求季度汇总",
    lead: "各部门每季度收集和处置企业诉求的情况：现场解决、按期答复、逾期答复、转交和尚未办结的件数，以及按期办结率。",
    fields: [
      { name: "year", label: "年度", type: "number", required: true, initial: () => pick("year", year, /^\d{4}$/) },
      { name: "quarter", label: "季度（1–4）", type: "number", required: true,
        initial: () => pick("quarter", quarter, /^[1-4]$/) },
    ],
    render: (body) => gridTable({
      className: "requests-summary-table", caption: `${body.year} 年第 ${body.quarter} 季度诉求汇总`,
      headers: ["部门", "诉求总数", "现场解决", "按期答复", "逾期答复", "转交办理", "尚未办结", "按期办结率"],
      rows: body.items.map((r) => h("tr", { "data-department": r.department },
        h("th", { scope: "row" }, r.department_name || r.department),
        ...["total", "on_spot", "answered_in_time", "answered_late", "forwarded", "open"].map(
          (k) => h("td", { class: "num" }, String(r[k]))),
        h("td", { class: "num" }, r.on_time_rate === null ? "—" : `${r.on_time_rate}%`))),
      empty: "该季度没有诉求。",
    }),
  });
}

/** 逾期未归档: completed tasks whose subjects' files are not all sealed within 30 working days (R-ARCH-1). */
export async function overdueArchivesView(ctx) {
  return oversightPage(ctx, {
    route: "/oversight/overdue-archives", path: "/oversight/overdue-archives", name: "overdue-archives",
    title: "逾期未归档",
    lead: "任务完成（各部门公示全部检查结果）后 30 个工作日内，牵头部门应将每户检查对象的档案归档（R-ARCH-1）。",
    render: (body) => gridTable({
      className: "overdue-archives-table", caption: "逾期未归档任务列表",
      headers: ["任务", "牵头部门", "任务完成", "归档期限", "已归档"],
      rows: body.items.map((a) => h("tr", { "data-task-id": a.task_id },
        h("td", { class: "title-cell" }, taskLink(a.task_id, a.title)),
        h("td", {}, a.lead_department_name || a.lead_department), h("td", {}, dateTime(a.completed_at)),
        h("td", { class: "deadline" }, date(a.archive_due)), h("td", { class: "num" }, `${a.archived} / ${a.subjects}`))),
      empty: "没有逾期未归档的任务。",
    }),
  });
}
