// 部门响应统计 (R-OVER-1): per responding department, for tasks pushed in a period: received, answered on time,
// median response time in working hours, late responses without reason, notices received — with two inline SVG
// charts drawn from the same answer: on-time rate by department and the distribution of response times.
import { h } from "../dom.js";
import { barChart, histogram } from "../charts.js";
import { gridTable, oversightPage } from "./oversight-common.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Bins of the median response time in working hours; a response is due within two working days (48 h).
const BINS = [
  { key: "0-8", label: "0–8", min: 0, max: 8 },
  { key: "8-16", label: "8–16", min: 8, max: 16 },
  { key: "16-24", label: "16–24", min: 16, max: 24 },
  { key: "24-32", label: "24–32", min: 24, max: 32 },
  { key: "32-40", label: "32–40", min: 32, max: 40 },
  { key: "40-48", label: "40–48", min: 40, max: 48 },
  { key: "48+", label: "48 以上", min: 48, max: Infinity },
];

function pad(n) {
  return String(n).padStart(2, "0");
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The bin of a median (in working hours): [min, max), the last one open. */
export function binOf(hours) {
  return BINS.find((b) => hours >= b.min && hours < b.max) || BINS[BINS.length - 1];
}

export async function departmentFiguresView(ctx) {
  const year = today().slice(0, 4);
  const pick = (name, fallback) => (ISO_DATE.test(ctx.params.get(name) || "") ? ctx.params.get(name) : fallback);
  return oversightPage(ctx, {
    route: "/oversight/department-figures", path: "/oversight/department-figures", name: "department-figures",
    title: "部门响应统计",
    lead: "按推送时间统计各响应部门：收到任务数、按时响应率、响应用时中位数（只计工作日的小时数）、"
      + "逾期且未说明理由的次数和被通报次数。",
    fields: [
      { name: "from", label: "推送日期自", type: "date", required: true, initial: () => pick("from", `${year}-01-01`) },
      { name: "to", label: "推送日期至", type: "date", required: true, initial: () => pick("to", today()) },
    ],
    render: (body) => [charts(body.items), table(body.items)],
  });
}

function charts(items) {
  if (!items.length) return null;
  const rated = items.filter((r) => r.on_time_percent !== null && r.on_time_percent !== undefined);
  const bars = barChart({
    title: "各部门按时响应率",
    description: rated.length
      ? rated.map((r) => `${r.department_name || r.department} ${percent(r.on_time_percent)}`).join("；")
      : "所选期间各部门均未收到任务。",
    items: items.map((r) => ({
      key: r.department, label: r.department_name || r.department, value: r.on_time_percent ?? null,
      text: r.on_time_percent === null || r.on_time_percent === undefined ? "未收到任务"
        : `${percent(r.on_time_percent)}（${r.on_time}/${r.received}）`,
    })),
    max: 100, unit: "%",
  });
  const timed = items.filter((r) => r.median_response_working_hours !== null
    && r.median_response_working_hours !== undefined);
  const counts = BINS.map((b) => ({ ...b, count: 0 }));
  for (const r of timed) counts[BINS.indexOf(binOf(r.median_response_working_hours))].count += 1;
  const untimed = items.length - timed.length;
  const hist = histogram({
    title: "响应用时分布（各部门响应用时中位数）",
    description: counts.map((b) => `${b.label} 工作小时：${b.count} 个部门`).join("；")
      + (untimed ? `；另有 ${untimed} 个部门尚无响应，未计入` : ""),
    bins: counts, xLabel: "响应用时中位数（工作小时）", yUnit: " 个部门",
  });
  return h("div", { class: "chart-grid" },
    h("figure", { class: "card chart-card" }, h("figcaption", {}, "各部门按时响应率"), bars),
    h("figure", { class: "card chart-card" }, h("figcaption", {}, "响应用时分布"), hist,
      h("p", { class: "hint" }, "按各部门响应用时中位数分组计数；响应期限为 2 个工作日，即 48 个工作小时。",
        untimed ? ` 另有 ${untimed} 个部门尚无响应，未计入。` : "")));
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`;
}

function hours(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1);
}

function table(items) {
  return gridTable({
    className: "figures-table", caption: "各部门响应统计",
    headers: ["部门", "收到任务数", "已响应", "按时响应", "按时响应率", "响应用时中位数（工作小时）",
      "逾期且未说明理由", "被通报次数"],
    rows: items.map((r) => h("tr", { "data-department": r.department },
      h("th", { scope: "row" }, r.department_name || r.department),
      h("td", { class: "num" }, String(r.received)),
      h("td", { class: "num" }, String(r.answered)),
      h("td", { class: "num" }, String(r.on_time)),
      h("td", { class: "num" }, percent(r.on_time_percent)),
      h("td", { class: "num" }, hours(r.median_response_working_hours)),
      h("td", { class: "num" }, String(r.late_without_reason)),
      h("td", { class: "num" }, String(r.notices_received)))),
    empty: "所选期间没有推送给各部门的任务。请调整推送日期的起止范围后再查询。",
  });
}
