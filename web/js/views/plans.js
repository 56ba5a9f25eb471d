// 抽查工作计划: annual plans drafted from my department's checklist (the office: from every department's C items),
// published after a confirmation, adjusted afterwards only with a reason; each change in the history (R-PLAN-1).
import { api, commandSender, session } from "../api.js";
import { departmentNames, departments } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { dateTime } from "../format.js";
import { navigate } from "../router.js";
import { flash, formErrorBox, heading, pagedResults, showAlert, showFormError, showNotice } from "../ui.js";
import { CLASS_NAMES } from "./check-items.js";
import {
  allPages, canWriteDirectory, facts, filterBar, formControls, historySection, readState,
  recordForm, select, withConfirmation, writeState,
} from "./directory-common.js";

const STATUS = { draft: "草稿", published: "已公示" };
const QUARTERS = { 1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度" };
const LABELS = {
  year: "年度", name: "计划名称", item_ids: "抽查事项", subject_scope: "抽查对象", ratio: "抽查比例",
  credit_risk_grading: "信用风险等级区分", lead_office: "牵头处室", cooperating_offices: "配合处室",
  schedule: "计划时间", status: "状态", published_at: "公示时间", published_late: "逾期公示",
  adjustment_reason: "调整理由",
};
const DEFAULTS = { year: "", status: "", department: "" };

export function scheduleText(schedule) {
  if (!schedule) return "—";
  if (schedule.quarters && schedule.quarters.length) return schedule.quarters.map((q) => QUARTERS[q]).join("、");
  return `${schedule.start || "—"} 至 ${schedule.end || "—"}`;
}

const planBadge = (p) => [h("span", { class: `badge plan-${p.status}` }, STATUS[p.status] || p.status),
  p.published_late ? h("span", { class: "badge late", title: "第一季度之后公示" }, "逾期公示") : null];

// ---- 抽查工作计划 (list) --------------------------------------------------------------------------------
export async function plansView(ctx) {
  const all = await departments();
  const state = readState(ctx.params, DEFAULTS, { status: ["draft", "published"] });
  const year = h("input", { id: uid("year"), name: "year", type: "text", inputmode: "numeric", maxlength: 4,
    value: state.year, placeholder: "如 2026", class: "year-input" });
  const status = select("status", [["", "全部状态"], ...Object.entries(STATUS)], state.status);
  const dept = select("department", [["", "全部部门"], ...all.map((d) => [d.code, d.name])], state.department);
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/plans", state, DEFAULTS),
    fetchPage: () => api("GET", "/plans", { query: { year: state.year, status: state.status,
      department: state.department, page: state.page, page_size: state.size } }),
    render: (items) => plansTable(items),
  });
  const filters = filterBar({
    label: "筛选计划", filters: [["年度", year], ["状态", status], ["部门", dept]],
    onApply: () => {
      Object.assign(state, { year: year.value.trim(), status: status.value, department: dept.value, page: 1 });
      load();
    },
    onReset: () => {
      Object.assign(state, { ...DEFAULTS, page: 1 });
      [year, status, dept].forEach((c) => { c.value = ""; });
      load();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("抽查工作计划"),
      canWriteDirectory() ? h("a", { href: "#/plans/new", class: "button primary" }, "编制计划") : null),
    h("p", { class: "lead" }, "本部门的计划（含草稿）和各部门已公示的年度抽查工作计划（计划之外无检查）。"),
    h("div", { class: "card directory-list" }, filters, results));
}

function plansTable(items) {
  const rows = items.map((p) => h("tr", { "data-plan-id": p.id },
    h("td", { class: "title-cell" }, h("a", { href: `#/plans/${p.id}` }, p.name)),
    h("td", {}, p.department_name),
    h("td", { class: "num" }, String(p.year)),
    h("td", {}, planBadge(p)),
    h("td", {}, `${p.items.length} 项`, p.classes.length ? `（${p.classes.join("、")}类）` : ""),
    h("td", { class: "num" }, `${p.ratio}%`),
    h("td", {}, scheduleText(p.schedule)),
    h("td", { class: "num" }, p.adjustment_count ? `${p.adjustment_count} 次` : "—"),
    h("td", { class: "nowrap" }, dateTime(p.updated_at))));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 9, class: "empty" }, "没有符合条件的计划。可调整筛选条件",
      canWriteDirectory() ? "，或点击“编制计划”从本部门的抽查事项清单起草年度计划。" : "。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid plans-table" },
    h("caption", { class: "visually-hidden" }, "抽查工作计划列表"),
    h("thead", {}, h("tr", {}, ["计划名称", "部门", "年度", "状态", "抽查事项", "抽查比例", "计划时间", "调整", "更新时间"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

// ---- 计划详情 ---------------------------------------------------------------------------------------------
export async function planView(ctx) {
  const root = h("div", { class: "plan-detail" });
  const names = await departmentNames();
  const me = session.get();
  async function load() {
    const plan = await api("GET", `/plans/${ctx.arg}`);
    const own = plan.department_code === me.department_code && canWriteDirectory();
    const history = own || session.isOffice() ? await api("GET", `/plans/${ctx.arg}/changes`) : null;
    if (!ctx.isCurrent()) return;
    replace(root, ...planPage(plan, own, history, names, async (message) => {
      await load();
      showNotice(message);
      root.querySelector("h1")?.focus();
    }));
  }
  await load();
  return root;
}

function planPage(plan, own, history, names, done) {
  const itemNames = Object.fromEntries(plan.items.map((i) => [i.id, `${i.code} ${i.name}`]));
  const show = (name, value) => {
    if (name === "item_ids") return value.map((i) => itemNames[i] || i).join("、");
    if (name === "schedule") return scheduleText(value);
    if (name === "cooperating_offices") return value.join("、") || "无";
    if (name === "status") return STATUS[value] || value;
    if (name === "ratio") return `${value}%`;
    if (name === "published_at") return dateTime(value);
    if (typeof value === "boolean") return value ? "是" : "否";
    return String(value);
  };
  return [
    h("div", { class: "page-head" }, heading(plan.name, " ", planBadge(plan)),
      h("a", { href: "#/plans", class: "button secondary" }, "返回计划列表")),
    h("section", { class: "card", "aria-label": "计划信息" }, facts([
      ["部门", plan.department_name], ["年度", `${plan.year} 年`],
      ["抽查比例", `${plan.ratio}%`], ["计划时间", scheduleText(plan.schedule)],
      ["牵头处室", plan.lead_office], ["配合处室", plan.cooperating_offices.join("、")],
      ["公示时间", plan.published_at ? dateTime(plan.published_at) : "未公示"],
      ["调整次数", plan.adjustment_count ? `${plan.adjustment_count} 次（最近：${dateTime(plan.adjusted_at)}）` : "无"],
      ["抽查对象", plan.subject_scope, true], ["信用风险等级区分", plan.credit_risk_grading, true],
      ...(plan.adjustment_reason ? [["最近调整理由", plan.adjustment_reason, true]] : []),
    ])),
    itemsSection(plan),
    own ? actionsCard(plan, done) : null,
    history ? historySection({ entries: [...history.items].reverse(), labels: LABELS, describe: show, names }) : null,
  ];
}

function itemsSection(plan) {
  return h("section", { class: "card", "aria-labelledby": "plan-items" }, h("h2", { id: "plan-items" }, "抽查事项"),
    h("div", { class: "table-scroll" }, h("table", { class: "grid plan-items-table" },
      h("thead", {}, h("tr", {}, ["事项编码", "事项名称", "分类", "状态"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, plan.items.map((i) => h("tr", {},
        h("td", { class: "mono" }, i.code), h("td", {}, h("a", { href: `#/check-items/${i.id}` }, i.name)),
        h("td", {}, CLASS_NAMES[i.item_class] || i.item_class),
        h("td", {}, i.status === "active" ? "在用" : "已退出清单")))))));
}

function actionsCard(plan, done) {
  const parts = [h("h2", { id: "plan-actions" }, "本部门办理")];
  if (plan.status === "draft") {
    const send = commandSender();
    const errors = formErrorBox();
    const form = h("form", { class: "action", novalidate: true, "aria-label": "公示计划" },
      h("p", {}, "草稿可以随时修改。公示后计划向社会公开，之后的每次修改都须说明调整理由并留痕。"), errors,
      h("div", { class: "actions" },
        h("a", { href: `#/plans/${plan.id}/edit`, class: "button secondary" }, "编辑草稿"),
        h("button", { type: "submit", class: "primary" }, "公示计划…")));
    withConfirmation(form, {
      confirmLabel: "确认公示",
      message: () => `确认公示“${plan.name}”？公示后不能撤回，计划的年度不能再改，其他内容的修改都须说明调整理由。`,
      run: async () => {
        try {
          await send("POST", `/plans/${plan.id}/publication`);
        } catch (error) {
          showFormError(form, errors, error);
          return false;
        }
        await done(`已公示“${plan.name}”。`);
        return true;
      },
    });
    parts.push(form);
  } else {
    parts.push(h("p", {}, "计划已公示。如因上级要求、社会风险或突发事件等需要调整，请填写调整理由后保存。"),
      h("a", { href: `#/plans/${plan.id}/edit`, class: "button primary" }, "调整计划"));
  }
  return h("section", { class: "card actions-card", "aria-labelledby": "plan-actions" }, parts);
}

// ---- 编制 / 编辑 / 调整计划 -------------------------------------------------------------------------------
export async function planFormView(ctx) {
  const editing = Boolean(ctx.arg);
  const me = session.get();
  const office = session.isOffice();
  const plan = editing ? await api("GET", `/plans/${ctx.arg}`) : null;
  const published = plan?.status === "published";
  const title = !editing ? "编制抽查工作计划" : published ? "调整已公示的计划" : "编辑计划草稿";
  const back = editing ? `#/plans/${plan.id}` : "#/plans";
  if (!canWriteDirectory() || (plan && plan.department_code !== me.department_code)) {
    showAlert("只有本部门的经办人员（或联席会议办公室）可以编制和修改本部门的计划。");
    return h("section", {}, heading(title), h("p", {}, h("a", { href: back }, "返回")));
  }
  // a department plans from its own active items; the office's joint plan from every department's C items
  const active = await allPages("/check-items", office ? { item_class: "C", status: "active" }
    : { scope: "own", status: "active" }, 500);
  const label = (i) => `${i.code} ${i.name}（${i.item_class}类${office ? `，${i.department_name}` : ""}）`;
  const options = active.map((i) => [i.id, label(i)]);
  for (const gone of (plan?.items || []).filter((i) => !active.some((a) => a.id === i.id))) {
    options.push([gone.id, `${gone.code} ${gone.name}（已退出清单，不能列入）`]);
  }
  const values = plan || { year: new Date().getFullYear(), cooperating_offices: [] };
  const head = formControls(planSpecs(options, published), values);
  const schedule = scheduleControl(plan?.schedule);
  const tail = formControls(textSpecs(published), values);
  const send = commandSender();
  const form = recordForm({
    label: title, nodes: [...head.nodes, schedule.wrap, ...tail.nodes],
    submit: !editing ? "保存草稿" : published ? "保存调整" : "保存草稿", cancelHref: back,
    onSubmit: async () => {
      const body = { ...head.read(), schedule: schedule.read(), ...tail.read() };
      if (editing) body.version = plan.version;
      const saved = await send(editing ? "PUT" : "POST", editing ? `/plans/${plan.id}` : "/plans", body);
      flash(!editing ? `已保存计划草稿“${saved.name}”。可检查无误后公示。`
        : published ? "已调整计划，调整理由已记录。" : "已保存计划草稿。");
      navigate(`#/plans/${saved.id}`);
    },
  });
  if (!options.length) {
    showAlert(office ? "各部门还没有在用的C类（联合检查）事项，无法编制联合计划。"
      : "本部门的抽查事项清单中还没有在用的事项。请先在“抽查事项清单”中新增事项，再编制计划。");
  }
  return h("section", {}, heading(title),
    h("p", { class: "lead" }, office ? "年度联合抽查工作计划只能列入各部门在用的C类事项。"
      : `${me.department_name}的年度抽查工作计划，只能列入本部门抽查事项清单中在用的事项。`),
    form);
}

function planSpecs(itemOptions, published) {
  return [
    { name: "year", label: "年度", type: "int", required: true, max: 4,
      hint: published ? "已公示计划的年度不能修改" : "今年或明年", attrs: published ? { readonly: true } : {} },
    { name: "name", label: "计划名称", required: true, max: 200 },
    { name: "item_ids", label: "抽查事项", type: "checks", required: true, options: itemOptions, wide: true,
      empty: "没有可列入的事项。" },
    { name: "ratio", label: "抽查比例（%）", type: "decimal", required: true, max: 10, hint: "百分数，最多两位小数" },
    { name: "lead_office", label: "牵头处室", required: true, max: 100 },
    { name: "cooperating_offices", label: "配合处室", type: "tags", max: 2000, wide: true,
      hint: "多个处室用逗号或顿号分隔；牵头处室不必重复填写" },
  ];
}

function textSpecs(published) {
  return [
    { name: "subject_scope", label: "抽查对象", type: "textarea", required: true, max: 2000, wide: true },
    { name: "credit_risk_grading", label: "信用风险等级区分", type: "textarea", required: true, max: 2000, wide: true,
      hint: "如：信用A级抽查比例3%，B级5%，C级10%，D级全覆盖" },
    ...(published ? [{ name: "reason", label: "调整理由", type: "textarea", required: true, max: 1000, wide: true,
      hint: "已公示的计划须说明调整理由（如上级要求、社会风险、突发事件），理由向社会公开。" }] : []),
  ];
}

/** 计划时间: whole quarters or a start and end date (the server checks they lie in the plan's year). */
function scheduleControl(schedule) {
  const byDates = Boolean(schedule && !(schedule.quarters || []).length);
  const mode = uid("schedule-mode");
  const radio = (value, text, checked) => {
    const id = uid("mode");
    return h("span", { class: "check" }, h("input", { type: "radio", id, name: mode, value, checked }),
      h("label", { for: id }, text));
  };
  const quarterBoxes = Object.entries(QUARTERS).map(([q, text]) => {
    const id = uid("quarter");
    return h("span", { class: "check" }, h("input", { type: "checkbox", id, name: "quarters", value: q,
      checked: (schedule?.quarters || []).includes(Number(q)) }), h("label", { for: id }, text));
  });
  const start = h("input", { type: "date", id: uid("start"), name: "start", value: schedule?.start || "" });
  const end = h("input", { type: "date", id: uid("end"), name: "end", value: schedule?.end || "" });
  const quarters = h("div", { class: "schedule-quarters" }, quarterBoxes);
  const dates = h("div", { class: "schedule-dates" }, h("label", { for: start.id }, "开始日期"), start,
    h("label", { for: end.id }, "结束日期"), end);
  const wrap = h("fieldset", { class: "field wide", "data-field": "schedule" },
    h("legend", {}, "计划时间", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    h("div", {}, radio("quarters", "按季度", !byDates), radio("dates", "按起止日期", byDates)),
    quarters, dates, h("p", { class: "field-error" }));
  const sync = () => {
    const useDates = wrap.querySelector(`input[name="${mode}"]:checked`).value === "dates";
    quarters.hidden = useDates;
    dates.hidden = !useDates;
  };
  wrap.addEventListener("change", sync);
  sync();
  return {
    wrap,
    read: () => (quarters.hidden ? { start: start.value || null, end: end.value || null }
      : { quarters: quarterBoxes.map((b) => b.querySelector("input")).filter((b) => b.checked)
        .map((b) => Number(b.value)) }),
  };
}
