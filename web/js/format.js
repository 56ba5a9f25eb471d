// Chinese labels and Beijing-time formatting (China has had no daylight saving since 1991: UTC+8 all year).

export const TASK_STATUS = {
  awaiting_responses: "待响应",
  responded: "已响应",
  day_proposed: "检查日待确认",
  day_agreed: "检查日已确定",
  inspected: "已检查",
  published: "已公示",
  cancelled: "已撤销",
  merged: "已融合",
};

export const RESPONSE_STATUS = { pending: "待响应", accepted: "参加", declined: "不参加", lead: "牵头" };

export const LATE_STATE = { overdue: "逾期未响应", late: "逾期响应", late_with_reason: "逾期已说明" };

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const pad = (n) => String(n).padStart(2, "0");

function beijing(iso) {
  if (!iso) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return null; // a plain date has no time zone
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  return new Date(ms + BEIJING_OFFSET_MS);
}

/** "2026-03-04" for an ISO instant (in Beijing time) or a plain ISO date; "—" for nothing. */
export function date(iso) {
  if (!iso) return "—";
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const d = beijing(iso);
  return d ? `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` : String(iso);
}

/** "2026-03-02 09:00" in Beijing time. */
export function dateTime(iso) {
  if (!iso) return "—";
  const d = beijing(iso);
  if (!d) return date(iso);
  return `${date(iso)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "逾期" / "逾期已说明" / "" for one department's response as GET /joint-tasks/{id} shows it. */
export function lateLabel(response) {
  if (!response.late) return "";
  return response.late_reason ? "逾期已说明" : "逾期";
}

/**
 * A deadline as the server counts it on the office's calendar ({state, working_days}, see domain countdown):
 * [text, urgency] with urgency one of "overdue" (red), "urgent" (amber: today or one working day left), "normal".
 */
export function dueText(due) {
  if (!due) return ["", "normal"];
  if (due.state === "overdue") {
    return [due.working_days > 0 ? `已逾期 ${due.working_days} 个工作日` : "已逾期", "overdue"];
  }
  if (due.state === "due_today") return ["今日 24:00 截止", "urgent"];
  return [`剩余 ${due.working_days} 个工作日`, due.working_days <= 1 ? "urgent" : "normal"];
}

/** A task's readable number, e.g. 联检〔2026〕0042号 (tasks from before numbering show a short id). */
export function taskNumber(task) {
  return task.number || `联检-${String(task.id || task.task_id).slice(0, 8)}`;
}
