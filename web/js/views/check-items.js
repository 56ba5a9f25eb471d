// 抽查事项清单: every department's items, filtered and paged; my department's items are added, changed and retired
// here, each change in the item's history (R-ITEM-1..4; the server checks class against ratio, R-ITEM-2).
import { api, commandSender, session } from "../api.js";
import { departmentNames, departments } from "../data.js";
import { field, h, replace, uid } from "../dom.js";
import { date } from "../format.js";
import { navigate } from "../router.js";
import { flash, formErrorBox, heading, pagedResults, showAlert, showFormError, showNotice } from "../ui.js";
import {
  facts, filterBar, formControls, historySection, isStaff, localError, readState, recordForm, select,
  withConfirmation, writeState,
} from "./directory-common.js";

export const CLASS_NAMES = { A: "A类（一般检查事项）", B: "B类（重点检查事项）", C: "C类（联合检查事项）" };
export const METHODS = {
  written: "书面检查", on_site: "实地核查", online_monitoring: "网络监测", sampling_testing: "抽样检验检测",
  third_party: "委托第三方",
};
const LEVELS = { province: "省级", city: "市级", county: "县级", township: "乡镇（街道）级" };
const OVERRIDES = { safety: "安全生产", environment: "生态环境", complaint: "投诉举报", superior_order: "上级交办" };
const STATUS = { active: "在用", retired: "已退出清单" };
const LABELS = {
  code: "事项编码", name: "事项名称", subject_type: "检查对象", content: "检查内容", category: "事项类别",
  methods: "检查方式", level: "实施层级", legal_basis: "检查依据", ratio: "年度抽查比例", frequency: "抽查频次",
  item_class: "事项分类", unannounced: "不事先告知", exemption_override: "免检名单例外",
  partner_departments: "交叉监管部门", status: "状态", retirement_reason: "退出理由",
};
const DEFAULTS = { department: "", item_class: "", status: "", q: "" };

const regulators = (all) => all.filter((d) => d.kind !== "office");
const classBadge = (c) => h("span", { class: `badge class-${c}`, title: CLASS_NAMES[c] }, `${c}类`);
const statusBadge = (s) => h("span", { class: `badge item-${s}` }, STATUS[s] || s);

/** How the history and the detail page show a field's value. */
function describe(names) {
  return (name, value) => {
    if (name === "methods") return value.map((m) => METHODS[m] || m).join("、");
    if (name === "level") return LEVELS[value] || value;
    if (name === "exemption_override") return OVERRIDES[value] || value;
    if (name === "item_class") return CLASS_NAMES[value] || value;
    if (name === "status") return STATUS[value] || value;
    if (name === "ratio") return `${value}%`;
    if (name === "frequency") return `每年 ${value} 次`;
    if (name === "partner_departments") return value.length ? value.map((c) => names[c] || c).join("、") : "无";
    if (typeof value === "boolean") return value ? "是" : "否";
    return String(value);
  };
}

// ---- 抽查事项清单 (list) --------------------------------------------------------------------------------
export async function checkItemsView(ctx) {
  const [all, names] = await Promise.all([departments(), departmentNames()]);
  const state = readState(ctx.params, DEFAULTS, { item_class: ["A", "B", "C"], status: ["active", "retired"] });
  const dept = select("department", [["", "全部部门"], ...regulators(all).map((d) => [d.code, d.name])],
    state.department);
  const cls = select("item_class", [["", "全部分类"], ...Object.entries(CLASS_NAMES)], state.item_class);
  const status = select("status", [["", "全部状态"], ...Object.entries(STATUS)], state.status);
  const q = h("input", { id: uid("q"), name: "q", type: "search", value: state.q, maxlength: 100,
    placeholder: "编码、名称、检查对象、内容或类别" });
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/check-items", state, DEFAULTS),
    fetchPage: () => api("GET", "/check-items", { query: { department: state.department,
      item_class: state.item_class, status: state.status, q: state.q, page: state.page, page_size: state.size } }),
    render: (items) => itemsTable(items),
  });
  const filters = filterBar({
    label: "筛选抽查事项", filters: [["部门", dept], ["分类", cls], ["状态", status], ["搜索", q, "grow"]],
    onApply: () => {
      Object.assign(state, { department: dept.value, item_class: cls.value, status: status.value,
        q: q.value.trim(), page: 1 });
      load();
    },
    onReset: () => {
      Object.assign(state, { ...DEFAULTS, page: 1 });
      [dept, cls, status, q].forEach((c) => { c.value = ""; });
      load();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("抽查事项清单"),
      isStaff() ? h("a", { href: "#/check-items/new", class: "button primary" }, "新增抽查事项") : null),
    h("p", { class: "lead" }, "各部门的抽查事项清单（清单之外无事项）。退出清单的事项保留在记录中，可按状态查看。"),
    h("div", { class: "card directory-list" }, filters, results));
}

function itemsTable(items) {
  const rows = items.map((i) => h("tr", { "data-item-id": i.id },
    h("td", { class: "mono" }, i.code),
    h("td", { class: "title-cell" }, h("a", { href: `#/check-items/${i.id}` }, i.name)),
    h("td", {}, i.department_name),
    h("td", {}, classBadge(i.item_class)),
    h("td", {}, i.subject_type),
    h("td", { class: "num" }, `${i.ratio}%`),
    h("td", { class: "num" }, `${i.frequency} 次/年`),
    h("td", {}, i.methods.map((m) => METHODS[m] || m).join("、")),
    h("td", {}, statusBadge(i.status))));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 9, class: "empty" }, "没有符合条件的抽查事项。可调整筛选条件",
      isStaff() ? "，或点击“新增抽查事项”把本部门的事项列入清单。" : "。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid items-table" },
    h("caption", { class: "visually-hidden" }, "抽查事项清单"),
    h("thead", {}, h("tr", {}, ["事项编码", "事项名称", "部门", "分类", "检查对象", "抽查比例", "频次", "检查方式", "状态"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

// ---- 抽查事项详情 -----------------------------------------------------------------------------------------
export async function checkItemView(ctx) {
  const root = h("div", { class: "item-detail" });
  const names = await departmentNames();
  const me = session.get();
  async function load() {
    const item = await api("GET", `/check-items/${ctx.arg}`);
    const own = item.department_code === me.department_code && isStaff();
    const history = own || session.isOffice() ? await api("GET", `/check-items/${ctx.arg}/changes`) : null;
    if (!ctx.isCurrent()) return;
    replace(root, ...itemPage(item, own, history, names, async (message) => {
      await load();
      showNotice(message);
      root.querySelector("h1")?.focus();
    }));
  }
  await load();
  return root;
}

function itemPage(item, own, history, names, done) {
  const show = describe(names);
  const active = item.status === "active";
  return [
    h("div", { class: "page-head" }, heading(item.name, " ", classBadge(item.item_class), statusBadge(item.status)),
      h("a", { href: "#/check-items", class: "button secondary" }, "返回清单")),
    h("section", { class: "card", "aria-label": "事项信息" }, facts([
      ["事项编码", item.code], ["部门", item.department_name],
      ["事项分类", CLASS_NAMES[item.item_class]], ["实施层级", show("level", item.level)],
      ["检查对象", item.subject_type], ["事项类别", item.category],
      ["年度抽查比例", `${item.ratio}%`], ["抽查频次", show("frequency", item.frequency)],
      ["检查方式", show("methods", item.methods)], ["交叉监管部门", show("partner_departments", item.partner_departments)],
      ["不事先告知", item.unannounced === undefined ? null : show("unannounced", item.unannounced)],
      ["免检名单例外", item.exemption_override ? show("exemption_override", item.exemption_override) : "无"],
      ["检查内容", item.content, true], ["检查依据", item.legal_basis, true],
      ...(active ? [] : [["退出时间", date(item.retired_at)], ["退出理由", item.retirement_reason]]),
    ])),
    own && active ? actionsCard(item, done) : null,
    history ? historySection({ entries: [...history.items].reverse(), labels: LABELS, describe: show, names }) : null,
  ];
}

function actionsCard(item, done) {
  const send = commandSender();
  const reason = field({ label: "退出理由", name: "reason", type: "textarea", required: true,
    hint: "如：法律法规修订、职责调整、并入其他事项。", attrs: { maxlength: 1000, rows: 2 } });
  const errors = formErrorBox();
  const titleId = uid("retire");
  const form = h("form", { class: "action", novalidate: true, "aria-labelledby": titleId },
    h("h3", { id: titleId }, "退出清单"),
    h("p", {}, "事项退出清单后保留在记录中，但不能再修改，也不能列入新的计划和联合任务。"),
    errors, reason.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "退出清单…")));
  withConfirmation(form, {
    confirmLabel: "确认退出清单",
    message: () => `确认将“${item.name}”（${item.code}）退出抽查事项清单？退出理由：`
      + `${reason.input.value.trim() || "（未填写）"}。此操作不能撤销。`,
    run: async () => {
      try {
        await send("POST", `/check-items/${item.id}/retirement`, { reason: reason.input.value.trim() });
      } catch (error) {
        showFormError(form, errors, error);
        return false;
      }
      await done(`已将“${item.name}”退出抽查事项清单。`);
      return true;
    },
  });
  return h("section", { class: "card actions-card", "aria-labelledby": "item-actions" },
    h("h2", { id: "item-actions" }, "本部门办理"),
    h("p", {}, h("a", { href: `#/check-items/${item.id}/edit`, class: "button primary" }, "修改事项")),
    form);
}

// ---- 新增 / 修改抽查事项 ----------------------------------------------------------------------------------
export async function checkItemFormView(ctx) {
  const editing = Boolean(ctx.arg);
  const me = session.get();
  const [all, item] = await Promise.all([departments(), editing ? api("GET", `/check-items/${ctx.arg}`) : null]);
  const title = editing ? "修改抽查事项" : "新增抽查事项";
  const back = editing ? `#/check-items/${item.id}` : "#/check-items";
  if (!isStaff() || (item && (item.department_code !== me.department_code || item.status !== "active"))) {
    showAlert(item && item.status !== "active" ? "该事项已退出清单，不能再修改。"
      : "只有本部门的经办人员可以新增或修改本部门的抽查事项。");
    return h("section", {}, heading(title), h("p", {}, h("a", { href: back }, "返回")));
  }
  const partners = regulators(all).filter((d) => d.code !== me.department_code).map((d) => [d.code, d.name]);
  const controls = formControls(itemSpecs(partners), item || { methods: ["on_site"], frequency: 1 });
  controls.control("code").input.dataset.autofocus = "1";
  const send = commandSender();
  const form = recordForm({
    label: title, nodes: controls.nodes, submit: editing ? "保存修改" : "保存并列入清单", cancelHref: back,
    onSubmit: async () => {
      const body = controls.read();
      // the server would name the allowed values in English; these two choices are asked for here
      if (!body.item_class) throw localError("item_class", "请选择事项分类：A类、B类或C类。");
      if (!body.level) throw localError("level", "请选择实施层级。");
      body.exemption_override = body.exemption_override || null;
      if (editing) body.version = item.version;
      const saved = await send(editing ? "PUT" : "POST", editing ? `/check-items/${item.id}` : "/check-items", body);
      flash(editing ? `已保存对“${saved.name}”的修改。` : `已将“${saved.name}”列入本部门抽查事项清单。`);
      navigate(`#/check-items/${saved.id}`);
    },
  });
  return h("section", {}, heading(title),
    h("p", { class: "lead" }, `${me.department_name}的抽查事项。事项分类与年度抽查比例须相符：A类不超过10%，B类高于10%。`),
    form);
}

function itemSpecs(partners) {
  return [
    { name: "code", label: "事项编码", required: true, max: 64, hint: "本部门内唯一，如 SCJG-A-001" },
    { name: "name", label: "抽查事项名称", required: true, max: 200 },
    { name: "item_class", label: "事项分类", type: "radios", required: true, options: Object.entries(CLASS_NAMES),
      wide: true },
    { name: "ratio", label: "年度抽查比例（%）", type: "decimal", required: true, max: 10,
      hint: "百分数，最多两位小数，如 5 或 12.5" },
    { name: "frequency", label: "抽查频次（次/年）", type: "int", required: true, max: 3 },
    { name: "subject_type", label: "检查对象", required: true, max: 200, hint: "如：食品经营者" },
    { name: "category", label: "事项类别（业务领域）", required: true, max: 100 },
    { name: "level", label: "实施层级", type: "select", required: true,
      options: [["", "请选择"], ...Object.entries(LEVELS)] },
    { name: "exemption_override", label: "免检名单例外", type: "select",
      options: [["", "无（免检对象免于抽查）"], ...Object.entries(OVERRIDES)],
      hint: "属于所选情形的，免检名单中的对象仍须检查" },
    { name: "methods", label: "检查方式", type: "checks", required: true, options: Object.entries(METHODS), wide: true },
    { name: "content", label: "检查内容", type: "textarea", required: true, max: 2000, wide: true },
    { name: "legal_basis", label: "检查依据", type: "textarea", required: true, max: 2000, wide: true },
    { name: "partner_departments", label: "交叉监管部门（仅C类）", type: "checks", options: partners, wide: true,
      hint: "C类事项列明与本部门有交叉监管职责的部门；A类、B类由本部门自行实施，不选。" },
    { name: "unannounced", label: "不事先告知检查对象检查时间和事项", type: "bool", wide: true },
  ];
}
