// 执法检查人员名录: my department's inspectors (the office: every department's), searched, imported from CSV/XLSX,
// and kept record by record (PUT) with each record's change history (R-INSP-1..3).
import { api, commandSender, session } from "../api.js";
import { departmentNames, departments } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { date, dateTime } from "../format.js";
import { navigate } from "../router.js";
import { flash, heading, pagedResults, showNotice } from "../ui.js";
import {
  canWriteDirectory, facts, filterBar, formControls, historySection, localError, readState,
  recordForm, select, writeState,
} from "./directory-common.js";
import { importPanel } from "./imports.js";

const GENDERS = { male: "男", female: "女" };
const STATUS = { active: "在岗", unavailable: "暂不可用" };
const SORTS = { name: "姓名", department_code: "部门", certificate_expires: "证件有效期", updated_at: "更新时间" };
const ORDERS = { asc: "升序", desc: "降序" };
const LABELS = { resident_id: "身份证号", name: "姓名", gender: "性别", department_code: "所属部门", post: "职务",
  certificate_no: "执法证号", certificate_expires: "执法证有效期", qualifications: "资质标签", area: "区域",
  contact: "联系方式", status: "状态", unavailable_until: "不可用截止日期" };
const DEFAULTS = { q: "", department: "", status: "", qualification: "", area: "", sort: "name", order: "asc" };

/** 3301**********1234: the list shows the ID number masked; the record page shows it whole. */
const masked = (id) => `${id.slice(0, 4)}${"*".repeat(10)}${id.slice(-4)}`;

function describer(names) {
  return (name, value) => {
    if (name === "gender") return GENDERS[value] || value;
    if (name === "status") return STATUS[value] || value;
    if (name === "department_code") return names[value] || value;
    if (name === "qualifications") return (Array.isArray(value) ? value : String(value).split(",")).join("、");
    return String(value);
  };
}

/** Whether the inspector may serve on a team today (R-INSP-2), and if not, why. */
function serving(i) {
  if (!i.certified) return h("span", { class: "badge late" }, i.certificate_no ? "执法证已过期" : "无执法证");
  if (!i.available) return h("span", { class: "badge muted" }, `暂不可用至 ${date(i.unavailable_until)}`);
  return h("span", { class: "badge item-active" }, "可以");
}

// ---- 执法检查人员名录 (list) ------------------------------------------------------------------------------
export async function inspectorsView(ctx) {
  const office = session.isOffice();
  const [all, names] = await Promise.all([departments(), departmentNames()]);
  const state = readState(ctx.params, DEFAULTS, { status: Object.keys(STATUS), sort: Object.keys(SORTS),
    order: Object.keys(ORDERS) });
  if (!office) state.department = "";
  const text = (name, placeholder) => h("input", { id: uid(name), name, type: "search", value: state[name],
    maxlength: 100, placeholder });
  const c = {
    q: text("q", "姓名或执法证号中的文字"),
    ...(office ? { department: select("department", [["", "全部部门"],
      ...all.filter((d) => d.kind !== "office").map((d) => [d.code, d.name])], state.department) } : {}),
    status: select("status", [["", "全部状态"], ...Object.entries(STATUS)], state.status),
    qualification: text("qualification", "如 食品"), area: text("area", "如 东城区"),
    sort: select("sort", Object.entries(SORTS), state.sort),
    order: select("order", Object.entries(ORDERS), state.order),
  };
  const labels = { q: "搜索", department: "部门", status: "状态", qualification: "资质标签", area: "区域", sort: "排序",
    order: "顺序" };
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/inspectors", state, DEFAULTS),
    fetchPage: () => api("GET", "/inspectors", { query: { q: state.q, department: state.department,
      status: state.status, qualification: state.qualification, area: state.area, sort: state.sort,
      order: state.order, page: state.page, page_size: state.size } }),
    render: (items) => inspectorsTable(items, names),
  });
  const filters = filterBar({
    label: "筛选执法检查人员",
    filters: Object.entries(c).map(([name, control]) => [labels[name], control, name === "q" ? "grow" : null]),
    onApply: () => {
      for (const [name, control] of Object.entries(c)) state[name] = control.value.trim();
      state.page = 1;
      load();
    },
    onReset: () => {
      Object.assign(state, DEFAULTS, { page: 1 });
      for (const [name, control] of Object.entries(c)) control.value = DEFAULTS[name];
      load();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("执法检查人员名录"),
      canWriteDirectory() ? h("a", { href: "#/inspectors/new", class: "button primary" }, "登记执法检查人员") : null),
    h("p", { class: "lead" }, office ? "各部门的执法检查人员。身份证号和联系方式不公开。"
      : "本部门的执法检查人员。只有持有效执法证、当前在岗的人员可以编入检查组；身份证号和联系方式不公开。"),
    canWriteDirectory() ? importPanel({ kind: "inspectors", isCurrent: ctx.isCurrent, onDone: load }) : null,
    h("div", { class: "card directory-list" }, filters, results));
}

function inspectorsTable(items, names) {
  const link = (i, text) => h("a", { href: `#/inspectors/${i.resident_id}` }, text);
  const rows = items.map((i) => h("tr", { "data-resident-id": i.resident_id },
    h("td", { class: "title-cell" }, link(i, i.name)),
    h("td", { class: "mono" }, masked(i.resident_id)),
    h("td", {}, GENDERS[i.gender] || i.gender), h("td", {}, names[i.department_code] || i.department_code),
    h("td", {}, i.post || "—"), h("td", { class: "mono" }, i.certificate_no || "—"),
    h("td", { class: "nowrap" }, date(i.certificate_expires)), h("td", {}, i.qualifications.join("、")),
    h("td", {}, i.area || "—"), h("td", {}, STATUS[i.status] || i.status), h("td", {}, serving(i))));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 11, class: "empty" }, "没有符合条件的执法检查人员。可调整筛选条件",
      canWriteDirectory() ? "，或通过上方“批量导入”上传人员名单、点击“登记执法检查人员”逐个登记。" : "。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid inspectors-table" },
    h("caption", { class: "visually-hidden" }, "执法检查人员名录"),
    h("thead", {}, h("tr", {}, ["姓名", "身份证号", "性别", "部门", "职务", "执法证号", "证件有效期至", "资质标签", "区域", "状态",
      "可编入检查组"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

// ---- 执法检查人员详情 (record, edit, history) -------------------------------------------------------------
export async function inspectorView(ctx) {
  const id = ctx.arg.toUpperCase();
  const root = h("div", { class: "record-detail" });
  const [all, names] = await Promise.all([departments(), departmentNames()]);
  async function load() {
    const [person, history] = await Promise.all([api("GET", `/inspectors/${id}`),
      api("GET", `/inspectors/${id}/changes`, { query: { page_size: 200 } })]);
    if (!ctx.isCurrent()) return;
    replace(root, ...inspectorPage(person, history, all, names, async (message) => {
      await load();
      showNotice(message);
      root.querySelector("h1")?.focus();
    }));
  }
  await load();
  return root;
}

function inspectorPage(i, history, all, names, done) {
  const editor = canWriteDirectory() ? inspectorForm(i, all, done) : null;
  if (editor) editor.hidden = true;
  const toggle = editor ? h("button", { type: "button", class: "primary", "aria-expanded": "false",
    onclick: (e) => {
      editor.hidden = !editor.hidden;
      e.currentTarget.setAttribute("aria-expanded", String(!editor.hidden));
      if (!editor.hidden) editor.querySelector("input, select")?.focus();
    } }, "修改记录") : null;
  return [
    h("div", { class: "page-head" }, heading(i.name, " ", serving(i)),
      h("div", { class: "actions" }, toggle, h("a", { href: "#/inspectors", class: "button secondary" }, "返回名录"))),
    h("section", { class: "card", "aria-label": "执法检查人员信息" }, facts([
      ["身份证号", h("span", { class: "mono" }, i.resident_id)], ["性别", GENDERS[i.gender]],
      ["所属部门", names[i.department_code] || i.department_code], ["职务", i.post],
      ["执法证号", i.certificate_no], ["执法证有效期至", date(i.certificate_expires)],
      ["资质标签", i.qualifications.join("、")], ["区域", i.area],
      ["联系方式", i.contact], ["状态", i.status === "unavailable"
        ? `${STATUS[i.status]}（至 ${date(i.unavailable_until)}）` : STATUS[i.status]],
      ["登记时间", dateTime(i.created_at)], ["更新时间", dateTime(i.updated_at)],
    ])),
    editor,
    historySection({ entries: history.items, labels: LABELS, describe: describer(names), names,
      title: `修改记录（共 ${history.total} 条）` }),
  ];
}

function inspectorSpecs(isNew, all) {
  const office = session.isOffice();
  return [
    ...(isNew ? [{ name: "resident_id", label: "身份证号", required: true, max: 18, hint: "18 位，作为人员的唯一标识，不公开" }]
      : []),
    { name: "name", label: "姓名", required: true, max: 50 },
    { name: "gender", label: "性别", type: "select", options: [["", "按身份证号判断"], ...Object.entries(GENDERS)] },
    ...(office ? [{ name: "department_code", label: "所属部门", type: "select", required: true,
      options: [["", "请选择"], ...all.filter((d) => d.kind !== "office").map((d) => [d.code, d.name])] }] : []),
    { name: "post", label: "职务", max: 100 },
    { name: "certificate_no", label: "执法证号", max: 64, hint: "没有执法证的人员不能编入检查组" },
    { name: "certificate_expires", label: "执法证有效期至", type: "date" },
    { name: "area", label: "区域", max: 100 },
    { name: "contact", label: "联系方式", max: 100, hint: "不公开" },
    { name: "status", label: "状态", type: "select", options: Object.entries(STATUS) },
    { name: "unavailable_until", label: "不可用截止日期", type: "date", hint: "状态为暂不可用时必填" },
    { name: "qualifications", label: "资质标签", type: "tags", max: 2000, wide: true, hint: "多个标签用逗号或顿号分隔" },
  ];
}

/** The whole record as PUT replaces it; a department registers its own staff, the office names the department. */
function inspectorForm(person, all, done) {
  const controls = formControls(inspectorSpecs(!person, all), person || { status: "active" });
  const send = commandSender();
  const me = session.get();
  return recordForm({
    label: person ? "修改执法检查人员" : "登记执法检查人员", nodes: controls.nodes,
    submit: person ? "保存修改" : "保存", cancelHref: person ? null : "#/inspectors",
    onSubmit: async () => {
      const { resident_id: typed, ...body } = controls.read();
      const id = person ? person.resident_id : (typed || "").toUpperCase();
      if (!id) throw localError("resident_id", "请填写身份证号。");
      if (!/^[0-9]{17}[0-9X]$/.test(id)) throw localError("resident_id", "身份证号须为 18 位（最后一位可为 X）。");
      if (!session.isOffice()) body.department_code = person ? person.department_code : me.department_code;
      if (!person && await exists(id)) throw localError("resident_id", "该人员已在名录中，请打开其详情页修改。");
      const saved = await send("PUT", `/inspectors/${id}`, body);
      if (person) {
        const changed = Object.keys(saved.changes).map((f) => LABELS[f] || f);
        await done(changed.length ? `已保存修改：${changed.join("、")}。` : "没有修改任何内容。");
      } else {
        flash(`已登记执法检查人员“${saved.record.name}”。`);
        navigate(`#/inspectors/${saved.record.resident_id}`);
      }
    },
  });
}

/** Whether my department (the office: any) already has this inspector: a new record must not replace one. */
async function exists(id) {
  try {
    await api("GET", `/inspectors/${id}`);
    return true;
  } catch (error) {
    if (error.status === 404) return false;
    throw error;
  }
}

export async function newInspectorView() {
  const all = await departments();
  const form = inspectorForm(null, all, null);
  form.querySelector('input[name="resident_id"]').dataset.autofocus = "1";
  return h("section", {}, heading("登记执法检查人员"),
    h("p", { class: "lead" }, "逐个登记一名执法检查人员；人员较多时请在名录页使用“批量导入”。"), form);
}
