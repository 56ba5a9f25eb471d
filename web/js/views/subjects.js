// 检查对象名录: the master subject directory searched with the API's filters, imported from CSV/XLSX, and kept
// record by record (PUT) with each record's change history (R-SUBJ-1..4).
import { api, commandSender } from "../api.js";
import { departmentNames } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { dateTime } from "../format.js";
import { navigate } from "../router.js";
import { flash, heading, pagedResults, showNotice } from "../ui.js";
import {
  canWriteDirectory, checkFilter, checkedValues, facts, filterBar, formControls, historySection, localError,
  queryString, readState, recordForm, select, writeState,
} from "./directory-common.js";
import { importPanel } from "./imports.js";

const KINDS = { enterprise: "企业", individual: "个人", institution: "机关事业单位", product: "产品", project: "项目",
  behaviour: "行为" };
const RISKS = { low: "低", medium: "中", high: "高" };
const CREDITS = ["A", "B", "C", "D"];
const FLAGS = { abnormal_operation: "经营异常名录", key_attention: "重点关注", dishonest: "失信",
  serious_violation: "严重违法失信", exempt: "免检", deregistered: "注销吊销" };
const SORTS = { code: "代码", name: "名称", updated_at: "更新时间", complaints_count: "投诉次数", credit_class: "信用等级" };
const ORDERS = { asc: "升序", desc: "降序" };
const LABELS = { code: "代码", subject_kind: "对象类型", name: "名称", address: "地址", legal_representative: "法定代表人",
  contact: "联系方式", region: "区域", industry: "行业", risk_level: "风险等级", credit_class: "信用等级",
  complaints_count: "投诉次数", tags: "标签", ...FLAGS };
const DEFAULTS = { q: "", subject_kind: "", region: "", industry: "", credit_class: [], risk_level: "", flag: [],
  tag: "", sort: "code", order: "asc" };

function describe(name, value) {
  if (name === "subject_kind") return KINDS[value] || value;
  if (name === "risk_level") return RISKS[value] || value;
  if (name === "tags") return (Array.isArray(value) ? value : String(value).split(",")).join("、");
  if (typeof value === "boolean") return value ? "是" : "否";
  return String(value);
}

// domain/result_rules.py OUTCOMES; what credit feedback did, in words (R-OVER-2, domain/credit_rules.py)
const OUTCOMES = {
  pass: "未发现问题", rectified: "发现问题已当场责令改正", transferred: "发现问题已移交立案查处",
  unreachable: "通过登记的住所（经营场所）无法联系", refused: "不配合检查", closed: "已注销、被吊销或已关闭",
  judicial: "涉嫌犯罪已移送司法机关", not_operating: "未发现开展本次检查涉及的经营活动",
};
const FLAG_WORDS = { abnormal_operation: ["列入经营异常名录", "移出经营异常名录"],
  deregistered: ["标记为注销吊销", "取消注销吊销标记"] };

function feedbackWords(changes) {
  const words = [];
  for (const [flag, [on, off]] of Object.entries(FLAG_WORDS)) {
    if (changes[flag]) words.push(changes[flag][1] ? on : off);
  }
  if (changes.risk_level) words.push(`风险等级调整为${RISKS[changes.risk_level[1]] || "未评定"}`);
  if (changes.tags) {
    const [before, after] = changes.tags.map((t) => String(t || "").split(",").filter(Boolean));
    after.filter((t) => !before.includes(t)).forEach((t) => words.push(`加注标签「${t}」`));
    before.filter((t) => !after.includes(t)).forEach((t) => words.push(`去除标签「${t}」`));
  }
  return words.join("；");
}

/** A credit feedback row's sentence: what changed and the result it came from (结果 …, its outcome). */
function feedbackCitation(e) {
  const source = e.source;
  if (e.action !== "credit_feedback" || !source) return null;
  return h("p", { class: "feedback-citation" }, `检查结果反馈：${feedbackWords(e.changes || {})}（`,
    h("a", { href: `#/tasks/${source.task_id}/results`, title: `检查结果 ${source.result_id}` },
      `结果 ${String(source.result_id).slice(0, 8)}`),
    source.outcome ? `：${OUTCOMES[source.outcome] || source.outcome}` : "", "）");
}

const flagBadges = (s) => Object.entries(FLAGS).filter(([f]) => s[f])
  .map(([f, label]) => h("span", { class: `badge flag flag-${f}` }, label));

// ---- 检查对象名录 (list) ----------------------------------------------------------------------------------
export async function subjectsView(ctx) {
  const state = readState(ctx.params, DEFAULTS, { subject_kind: Object.keys(KINDS), credit_class: CREDITS,
    risk_level: Object.keys(RISKS), flag: Object.keys(FLAGS), sort: Object.keys(SORTS), order: Object.keys(ORDERS) });
  const text = (name, placeholder, max = 64) => h("input", { id: uid(name), name, type: "search", value: state[name],
    maxlength: max, placeholder });
  const c = {
    q: text("q", "名称中的文字，或代码开头", 100),
    subject_kind: select("subject_kind", [["", "全部类型"], ...Object.entries(KINDS)], state.subject_kind),
    region: text("region", "如 东城区"), industry: text("industry", "如 餐饮服务"), tag: text("tag", "如 冷链"),
    risk_level: select("risk_level", [["", "全部"], ...Object.entries(RISKS)], state.risk_level),
    sort: select("sort", Object.entries(SORTS), state.sort),
    order: select("order", Object.entries(ORDERS), state.order),
  };
  const credit = checkFilter("信用等级", "credit_class", CREDITS.map((v) => [v, `${v}级`]), state.credit_class);
  const flags = checkFilter("状态标记（须全部符合）", "flag", Object.entries(FLAGS), state.flag);
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/subjects", state, DEFAULTS),
    fetchPage: () => api("GET", `/subjects?${queryString({ ...pick(state), page: state.page,
      page_size: state.size })}`),
    render: (items) => subjectsTable(items),
  });
  const filters = filterBar({
    label: "筛选检查对象",
    filters: [["搜索", c.q, "grow"], ["对象类型", c.subject_kind], ["区域", c.region], ["行业", c.industry],
      ["标签", c.tag], ["风险等级", c.risk_level], ["排序", c.sort], ["顺序", c.order], ["", credit], ["", flags]],
    onApply: () => {
      for (const [name, control] of Object.entries(c)) state[name] = control.value.trim();
      state.credit_class = checkedValues(credit, "credit_class");
      state.flag = checkedValues(flags, "flag");
      state.page = 1;
      load();
    },
    onReset: () => {
      Object.assign(state, structuredClone(DEFAULTS), { page: 1 });
      for (const [name, control] of Object.entries(c)) control.value = DEFAULTS[name];
      [credit, flags].forEach((f) => f.querySelectorAll("input").forEach((i) => { i.checked = false; }));
      load();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("检查对象名录"),
      canWriteDirectory() ? h("a", { href: "#/subjects/new", class: "button primary" }, "新增检查对象") : null),
    h("p", { class: "lead" }, "检查对象名录库：企业、个人、机关事业单位，以及产品、项目、行为。按区域、行业、标签可切分出子名录。"),
    canWriteDirectory() ? importPanel({ kind: "subjects", isCurrent: ctx.isCurrent, onDone: load }) : null,
    h("div", { class: "card directory-list" }, filters, results));
}

function pick(state) {
  return Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, state[k]]));
}

function subjectsTable(items) {
  const rows = items.map((s) => h("tr", { "data-code": s.code },
    h("td", { class: "mono" }, h("a", { href: `#/subjects/${encodeURIComponent(s.code)}` }, s.code)),
    h("td", { class: "title-cell" }, h("a", { href: `#/subjects/${encodeURIComponent(s.code)}` }, s.name)),
    h("td", {}, s.subject_kind_name),
    h("td", {}, s.region || "—"), h("td", {}, s.industry || "—"),
    h("td", {}, RISKS[s.risk_level] || "—"), h("td", {}, s.credit_class || "—"),
    h("td", {}, flagBadges(s)), h("td", { class: "num" }, String(s.complaints_count)),
    h("td", {}, s.tags.join("、")), h("td", { class: "nowrap" }, dateTime(s.updated_at))));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 11, class: "empty" }, "没有符合条件的检查对象。可调整筛选条件",
      canWriteDirectory() ? "，或通过上方“批量导入”上传名录文件、点击“新增检查对象”逐条登记。" : "。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid subjects-table" },
    h("caption", { class: "visually-hidden" }, "检查对象名录"),
    h("thead", {}, h("tr", {}, ["代码", "名称", "类型", "区域", "行业", "风险", "信用", "状态标记", "投诉", "标签", "更新时间"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

// ---- 检查对象详情 (record, edit, history) -----------------------------------------------------------------
export async function subjectView(ctx) {
  const code = ctx.arg.toUpperCase();
  const root = h("div", { class: "record-detail" });
  const names = await departmentNames();
  async function load() {
    const [subject, history] = await Promise.all([api("GET", `/subjects/${encodeURIComponent(code)}`),
      api("GET", `/subjects/${encodeURIComponent(code)}/changes`, { query: { page_size: 200 } })]);
    if (!ctx.isCurrent()) return;
    replace(root, ...subjectPage(subject, history, names, async (message) => {
      await load();
      showNotice(message);
      root.querySelector("h1")?.focus();
    }));
  }
  await load();
  return root;
}

function subjectPage(s, history, names, done) {
  const editor = canWriteDirectory() ? subjectForm(s, done) : null;
  if (editor) editor.hidden = true;
  const toggle = editor ? h("button", { type: "button", class: "primary", "aria-expanded": "false",
    onclick: (e) => {
      editor.hidden = !editor.hidden;
      e.currentTarget.setAttribute("aria-expanded", String(!editor.hidden));
      if (!editor.hidden) editor.querySelector("input, select")?.focus();
    } }, "修改记录") : null;
  return [
    h("div", { class: "page-head" }, heading(s.name, " ", flagBadges(s)),
      h("div", { class: "actions" }, toggle, h("a", { href: "#/subjects", class: "button secondary" }, "返回名录"))),
    h("section", { class: "card", "aria-label": "检查对象信息" }, facts([
      ["代码", h("span", { class: "mono" }, s.code)], ["对象类型", s.subject_kind_name],
      ["法定代表人", s.legal_representative], ["联系方式", s.contact],
      ["区域", s.region], ["行业", s.industry],
      ["风险等级", RISKS[s.risk_level]], ["信用等级", s.credit_class ? `${s.credit_class}级` : "未分类"],
      ["投诉次数", String(s.complaints_count)], ["状态标记", flagBadges(s)],
      ["地址", s.address, true], ["标签", s.tags.join("、"), true],
      ["登记时间", dateTime(s.created_at)], ["更新时间", dateTime(s.updated_at)],
    ])),
    editor,
    historySection({ entries: history.items, labels: LABELS, describe, names, cite: feedbackCitation,
      title: `修改记录（共 ${history.total} 条）` }),
  ];
}

function subjectSpecs(isNew) {
  return [
    ...(isNew ? [{ name: "code", label: "代码", required: true, max: 32,
      hint: "统一社会信用代码、身份证号（个人），或产品、项目、行为的登记编号" }] : []),
    { name: "subject_kind", label: "对象类型", type: "select",
      options: [["", "按代码自动判断"], ...Object.entries(KINDS)], hint: "登记编号须注明类型（产品、项目或行为）" },
    { name: "name", label: "名称", required: true, max: 200 },
    { name: "legal_representative", label: "法定代表人（负责人）", max: 100 },
    { name: "contact", label: "联系方式", max: 100 },
    { name: "region", label: "区域", max: 64 }, { name: "industry", label: "行业", max: 64 },
    { name: "risk_level", label: "风险等级", type: "select", options: [["", "未评定"], ...Object.entries(RISKS)] },
    { name: "credit_class", label: "信用等级", type: "select",
      options: [["", "未分类"], ...CREDITS.map((v) => [v, `${v}级`])] },
    { name: "complaints_count", label: "投诉次数", type: "int", max: 9 },
    { name: "address", label: "地址", max: 300, wide: true },
    { name: "tags", label: "标签", type: "tags", max: 2000, wide: true, hint: "多个标签用逗号或顿号分隔" },
    ...Object.entries(FLAGS).map(([name, label]) => ({ name, label, type: "bool" })),
  ];
}

/** The whole record as PUT replaces it (R-SUBJ-1); a new record also names its code. */
function subjectForm(subject, done) {
  const controls = formControls(subjectSpecs(!subject), subject || { complaints_count: 0 });
  const send = commandSender();
  return recordForm({
    label: subject ? "修改检查对象" : "新增检查对象", nodes: controls.nodes,
    submit: subject ? "保存修改" : "保存", cancelHref: subject ? null : "#/subjects",
    onSubmit: async () => {
      const { code: typed, ...body } = controls.read();
      const code = subject ? subject.code : (typed || "").toUpperCase();
      if (!code) throw localError("code", "请填写代码。");
      if (!subject) {
        const found = await api("GET", "/subjects", { query: { q: code, page_size: 5 } });
        if (found.items.some((s) => s.code === code)) throw localError("code", "名录库中已有该代码的检查对象，请打开它的详情页修改。");
      }
      const saved = await send("PUT", `/subjects/${encodeURIComponent(code)}`, body);
      if (subject) {
        const changed = Object.keys(saved.changes).map((f) => LABELS[f] || f);
        await done(changed.length ? `已保存修改：${changed.join("、")}。` : "没有修改任何内容。");
      } else {
        flash(`已将“${saved.record.name}”登记到检查对象名录。`);
        navigate(`#/subjects/${encodeURIComponent(saved.record.code)}`);
      }
    },
  });
}

export async function newSubjectView() {
  const form = subjectForm(null, null);
  form.querySelector('input[name="code"]').dataset.autofocus = "1";
  return h("section", {}, heading("新增检查对象"),
    h("p", { class: "lead" }, "逐条登记一个检查对象；大量对象请在名录页使用“批量导入”。"), form);
}
