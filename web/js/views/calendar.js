// 工作日历 (R-CAL-1, R-CAL-2): a month view of working and rest days (GET /calendar/days), and for the joint
// meeting office: entering a year's official schedule and amending a single day. Either change moves every open
// deadline at once; the answer lists which (the 随之调整的期限 card).
import { api, commandSender, session } from "../api.js";
import { field, h, replace, uid } from "../dom.js";
import { coalesce, subscribe } from "../live.js";
import { replaceQuery } from "../router.js";
import { taskNumber } from "../format.js";
import { busy, clearFormError, formErrorBox, heading, showAlert, showFormError, showNotice } from "../ui.js";
import { gridTable } from "./oversight-common.js";

const WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"];
const SOURCE = {
  official: "国务院安排",
  office_schedule: "办公室录入",
  office_amendment: "办公室调整",
  weekday_fallback: "暂按周一至周五",
};
const pad = (n) => String(n).padStart(2, "0");

function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}`;
}

function monthRange(month) {
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${pad(last)}`, year: y, month: m, last };
}

function shiftMonth(month, delta) {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + delta, 1));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
}

/** A real calendar date "2027-1-5" → "2027-01-05", or null. */
function normalDate(text) {
  const m = text.match(/^(\d{4})-(\d{1,2})-(\d{1,2})$/);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

/**
 * Dates typed one per line or separated by commas/spaces/、; "2027-10-01~2027-10-07" (or 至) is a run of days.
 * Returns {dates: sorted unique ISO dates} or {error: Chinese message}.
 */
export function parseDates(text) {
  const tokens = text.replace(/\s*(~|～|至|—|–)\s*/g, "~").split(/[\s,，、;；]+/).filter(Boolean);
  const dates = new Set();
  for (const token of tokens) {
    const [a, b, extra] = token.split("~");
    const start = normalDate(a || "");
    const end = b === undefined ? start : normalDate(b);
    if (!start || !end || extra !== undefined) return { error: `无法识别的日期：${token}，请按 YYYY-MM-DD 填写。` };
    if (end < start) return { error: `日期范围的结束早于开始：${token}。` };
    let day = new Date(`${start}T00:00:00Z`);
    for (let i = 0; i <= 366; i += 1) {
      const iso = day.toISOString().slice(0, 10);
      dates.add(iso);
      if (iso === end) break;
      if (i === 366) return { error: `日期范围过长：${token}。` };
      day = new Date(day.getTime() + 86_400_000);
    }
  }
  return { dates: [...dates].sort() };
}

const MOVE_KIND = {
  response: "响应期限",
  publication: "结果公示期限",
  archive: "档案归档期限",
  objection_review: "异议审查期限",
  objection_answer: "异议答复期限",
  request: "诉求办理期限",
};

/** An answer stored before moves were listed (a retry with the same Idempotency-Key) counts tasks, not moves. */
const movesOf = (answer) => ({ moves: answer.moves || [], total: answer.moves_total ?? answer.moved_deadlines });

function movedText(answer) {
  const { total } = movesOf(answer);
  return total ? `${total} 项未到期的期限已随之调整，见下表。` : "没有需要调整的未到期期限。";
}

/** The card listing which open deadlines a calendar change moved (R-CAL-2); hidden until a change is made. */
function movesCard() {
  const titleId = uid("moves-title");
  const body = h("div", {});
  const node = h("section", { class: "card moves-card", hidden: true, "aria-labelledby": titleId },
    h("h2", { id: titleId }, "随之调整的期限"), body);
  function show(answer) {
    const { moves, total } = movesOf(answer);
    const rows = moves.map((m) => h("tr", { "data-task-id": m.task_id, "data-kind": m.kind },
      h("td", {}, MOVE_KIND[m.kind] || m.kind),
      h("td", { class: "title-cell" },
        h("a", { href: `#/tasks/${m.task_id}`, title: m.task_title }, taskNumber({ number: m.task_number, id: m.task_id })),
        h("div", { class: "muted" }, m.task_title)),
      h("td", {}, m.subject ? (m.subject_name ? `${m.subject_name}（${m.subject}）` : m.subject) : "—"),
      h("td", {}, m.previous || "—"),
      h("td", {}, h("strong", {}, m.deadline || "—"))));
    const more = total - moves.length;
    replace(body,
      gridTable({ className: "moves-table", caption: "随工作日历调整的期限", rows,
        headers: ["期限", "任务", "检查对象", "原期限", "新期限"],
        empty: "本次调整没有影响任何未到期的期限。" }),
      more > 0 ? h("p", { class: "hint" }, `另有 ${more} 项调整未列出，可在相关任务的办理记录中查看。`) : null);
    node.hidden = false;
  }
  return { node, show };
}

export async function calendarView(ctx) {
  const office = session.isOffice();
  const initial = /^\d{4}-\d{2}$/.test(ctx.params.get("month") || "") ? ctx.params.get("month") : thisMonth();
  const view = monthView(ctx, initial);
  await view.load();
  const moves = movesCard();
  const refresh = coalesce(() => (ctx.isCurrent() ? view.load().catch(showAlert) : null), 300);
  subscribe((message) => {
    if (message.type === "resync" || String(message.type || "").startsWith("WorkingCalendar")) refresh();
  });
  return h("section", {}, heading("工作日历"),
    h("p", { class: "lead" }, "响应期限等按工作日计算（R-CAL-1）。国务院公布下一年度节假日安排后，由联席会议办公室录入；"
      + "尚未录入的年份暂按周一至周五计算，相关期限标为“暂定”（R-CAL-2）。录入或调整后，各项未到期的期限（响应、结果公示、"
      + "档案归档、异议、诉求）随之重算，并列出调整了哪些。"),
    view.node,
    office ? h("div", { class: "calendar-forms" }, yearForm(view, moves), amendForm(view, moves))
      : h("p", { class: "muted" }, "工作日历由联席会议办公室维护。"),
    office ? moves.node : null);
}

// ---- the month ---------------------------------------------------------------------------------------------

function monthView(ctx, initial) {
  let month = initial;
  const picker = h("input", { type: "month", id: uid("month"), name: "month", value: month, min: "2000-01",
    max: "2100-12" });
  const grid = h("div", { class: "calendar-month-wrap" });
  const title = h("h2", { id: uid("month-title") }, "");
  const go = (next) => {
    if (!/^\d{4}-\d{2}$/.test(next)) return;
    month = next;
    picker.value = month;
    load().catch(showAlert);
  };
  picker.addEventListener("change", () => go(picker.value));
  const node = h("section", { class: "card calendar-card", "aria-labelledby": title.id },
    h("div", { class: "calendar-head" }, title,
      h("div", { class: "calendar-nav" },
        h("button", { type: "button", onclick: () => go(shiftMonth(month, -1)) }, "上一月"),
        h("label", { for: picker.id }, "月份"), picker,
        h("button", { type: "button", onclick: () => go(shiftMonth(month, 1)) }, "下一月"))),
    grid,
    h("p", { class: "hint calendar-legend" },
      h("span", { class: "legend day-working" }, "班"), " 工作日 ",
      h("span", { class: "legend day-rest" }, "休"), " 休息日 ",
      h("span", { class: "badge provisional" }, "暂定"), " 该年度日历尚未录入，暂按周一至周五"));

  let loading = 0;
  async function load() {
    const mine = ++loading;
    const range = monthRange(month);
    const params = new URLSearchParams();
    if (month !== thisMonth()) params.set("month", month);
    replaceQuery("/calendar", params);
    grid.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", "/calendar/days", { query: { from: range.from, to: range.to } });
      if (mine !== loading || !ctx.isCurrent()) return;
      replace(title, `${range.year} 年 ${range.month} 月`);
      replace(grid, monthTable(data.items, range));
    } finally {
      if (mine === loading) grid.removeAttribute("aria-busy");
    }
  }
  return { node, load, show: (iso) => go(iso.slice(0, 7)), month: () => month };
}

function monthTable(items, range) {
  const byDay = new Map(items.map((d) => [d.day, d]));
  const firstWeekday = (new Date(Date.UTC(range.year, range.month - 1, 1)).getUTCDay() + 6) % 7; // Monday = 0
  const cells = [];
  for (let i = 0; i < firstWeekday; i += 1) cells.push(h("td", { class: "day-blank" }));
  for (let d = 1; d <= range.last; d += 1) {
    const iso = `${range.year}-${pad(range.month)}-${pad(d)}`;
    const day = byDay.get(iso);
    if (!day) {
      cells.push(h("td", { class: "day-blank" }, String(d)));
      continue;
    }
    const source = SOURCE[day.source] || day.source;
    const kind = day.working ? "工作日" : "休息日";
    cells.push(h("td", {
      class: `day ${day.working ? "day-working" : "day-rest"}${day.provisional ? " day-provisional" : ""}`,
      "data-day": iso, "data-working": String(day.working), "data-source": day.source,
      title: `${iso} ${kind}（${source}${day.provisional ? "，暂定" : ""}）`,
    },
    h("div", { class: "day-top" }, h("span", { class: "day-number" }, String(d)),
      h("span", { class: "day-kind" }, day.working ? "班" : "休")),
    h("div", { class: "day-source" }, source),
    day.provisional ? h("span", { class: "badge provisional" }, "暂定") : null));
  }
  while (cells.length % 7) cells.push(h("td", { class: "day-blank" }));
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(h("tr", {}, cells.slice(i, i + 7)));
  return h("div", { class: "table-scroll" }, h("table", { class: "calendar-month" },
    h("caption", { class: "visually-hidden" }, `${range.year} 年 ${range.month} 月工作日历`),
    h("thead", {}, h("tr", {}, WEEKDAYS.map((w) => h("th", { scope: "col" }, `周${w}`)))),
    h("tbody", {}, weeks)));
}

// ---- the office's forms --------------------------------------------------------------------------------------

function yearForm(view, moves) {
  const send = commandSender();
  const box = formErrorBox();
  const titleId = uid("year-title");
  const next = Number(view.month().slice(0, 4)) + 1;
  const year = field({ label: "年份", name: "year", type: "number", required: true,
    attrs: { value: String(next), min: 2000, max: 2100, step: 1 } });
  const holidays = field({ label: "法定节假日（放假日期）", name: "holidays", type: "textarea",
    hint: "每行一个日期，格式 YYYY-MM-DD；连续放假可写作 2027-10-01~2027-10-07。",
    attrs: { rows: 5, placeholder: "2027-01-01\n2027-02-05~2027-02-13" } });
  const makeup = field({ label: "调休上班日", name: "makeup_workdays", type: "textarea",
    hint: "需要上班的周六、周日，每行一个日期。", attrs: { rows: 3 } });
  const note = field({ label: "说明", name: "note", type: "textarea",
    hint: "如：依据国务院办公厅关于 2027 年部分节假日安排的通知。", attrs: { rows: 2, maxlength: 1000 } });
  const form = h("form", { class: "card calendar-form year-form", novalidate: true, "aria-labelledby": titleId },
    h("h2", { id: titleId }, "录入年度工作日历"),
    h("p", { class: "hint" }, "录入后该年度按所填安排计算工作日，不再“暂定”；重新录入同一年份将以新安排为准。"),
    box, year.wrap, holidays.wrap, makeup.wrap, note.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "录入年度日历")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFormError(form, box);
    const y = Number.parseInt(year.input.value, 10);
    if (!Number.isFinite(y)) return showFormError(form, box, { message: "请填写年份。", details: { field: "year" } });
    const h1 = parseDates(holidays.input.value);
    if (h1.error) return showFormError(form, box, { message: h1.error, details: { field: "holidays" } });
    const m1 = parseDates(makeup.input.value);
    if (m1.error) return showFormError(form, box, { message: m1.error, details: { field: "makeup_workdays" } });
    const body = { year: y, holidays: h1.dates, makeup_workdays: m1.dates, note: note.input.value.trim() };
    return busy(form, async () => {
      try {
        const answer = await send("POST", "/calendar/years", body);
        showNotice(`已录入 ${y} 年工作日历（节假日 ${body.holidays.length} 天，调休上班日 ${body.makeup_workdays.length}`
          + ` 天）。${movedText(answer)}`);
        moves.show(answer);
        await view.load();
      } catch (error) {
        showFormError(form, box, error);
      }
    });
  });
  return form;
}

function amendForm(view, moves) {
  const send = commandSender();
  const box = formErrorBox();
  const titleId = uid("amend-title");
  const day = field({ label: "日期", name: "day", type: "date", required: true });
  const radios = [["true", "上班"], ["false", "休息"]].map(([value, label]) => {
    const id = uid("working");
    return h("span", { class: "check" }, h("input", { type: "radio", name: "working", id, value }),
      h("label", { for: id }, label));
  });
  const working = h("fieldset", { class: "field", "data-field": "working" },
    h("legend", {}, "当日安排", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    radios, h("p", { class: "field-error" }));
  const reason = field({ label: "调整理由", name: "reason", type: "textarea", required: true,
    hint: "如：因防汛调整为休息日。", attrs: { rows: 2, maxlength: 1000 } });
  const form = h("form", { class: "card calendar-form amend-form", novalidate: true, "aria-labelledby": titleId },
    h("h2", { id: titleId }, "调整单日"),
    h("p", { class: "hint" }, "临时将某一天改为上班或休息，优先于年度安排。"),
    box, day.wrap, working, reason.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "调整该日")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFormError(form, box);
    const chosen = form.querySelector('input[name="working"]:checked');
    if (!day.input.value) return showFormError(form, box, { message: "请选择日期。", details: { field: "day" } });
    if (!chosen) {
      return showFormError(form, box, { message: "请选择当日上班还是休息。", details: { field: "working" } });
    }
    const body = { day: day.input.value, working: chosen.value === "true", reason: reason.input.value.trim() };
    return busy(form, async () => {
      try {
        const answer = await send("POST", "/calendar/amendments", body);
        showNotice(`已将 ${body.day} 调整为${body.working ? "工作日" : "休息日"}。${movedText(answer)}`);
        moves.show(answer);
        view.show(body.day);
      } catch (error) {
        showFormError(form, box, error);
      }
    });
  });
  return form;
}
