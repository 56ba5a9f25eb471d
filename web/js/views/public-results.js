// 检查结果公示 (#/public/results, no login): published results (一公开, R-PUB-1), searched by subject code or a
// fragment of its name, department, outcome and inspection dates; and one subject's results over the years
// (#/public/subjects/{code}). Public fields only (R-PUB-3); a corrected result shows "更正于 <date>" (R-PUB-2).
import { api, session } from "../api.js";
import { departments } from "../data.js";
import { h, uid } from "../dom.js";
import { date } from "../format.js";
import { heading, pagedResults } from "../ui.js";
import { replaceQuery } from "../router.js";

const OUTCOMES = {
  pass: "未发现问题", rectified: "发现问题已当场责令改正", transferred: "发现问题已移交立案查处",
  unreachable: "通过登记的住所（经营场所）无法联系", refused: "不配合检查", closed: "已注销、被吊销或已关闭",
  judicial: "涉嫌犯罪已移送司法机关", not_operating: "未发现开展本次检查涉及的经营活动",
}; // domain/result_rules.py OUTCOMES

export async function publicResultsView(ctx) {
  const params = ctx.params;
  const page = Number.parseInt(params.get("page") || "1", 10);
  const state = { q: (params.get("q") || "").slice(0, 100), department: params.get("department") || "",
    outcome: params.get("outcome") || "", from: params.get("from") || "", to: params.get("to") || "",
    page: Number.isFinite(page) && page > 0 ? page : 1, size: 20 };
  // The department filter lists departments for a logged-in clerk (the list needs a login); the search itself not.
  const list = session.get() ? (await departments()).filter((d) => d.kind !== "office") : [];
  const { results, load } = pagedResults({
    ctx, state,
    save: () => {
      const query = new URLSearchParams();
      for (const key of ["q", "department", "outcome", "from", "to"]) if (state[key]) query.set(key, state[key]);
      if (state.page !== 1) query.set("page", String(state.page));
      replaceQuery("/public/results", query);
    },
    fetchPage: () => api("GET", "/public/results", { anonymous: true, query: {
      q: state.q, department: state.department, outcome: state.outcome, from: state.from, to: state.to,
      page: state.page, page_size: state.size } }),
    render: (items) => resultList(items, true),
  });
  const control = (label, input) => h("div", { class: "filter" }, h("label", { for: input.id }, label), input);
  const q = h("input", { id: uid("q"), type: "search", value: state.q, maxlength: 100,
    placeholder: "统一社会信用代码或名称中的文字" });
  const department = h("select", { id: uid("department") }, h("option", { value: "" }, "全部部门"),
    list.map((d) => h("option", { value: d.code, selected: d.code === state.department }, d.name)));
  const outcome = h("select", { id: uid("outcome") }, h("option", { value: "" }, "全部结果"),
    Object.entries(OUTCOMES).map(([v, label]) => h("option", { value: v, selected: v === state.outcome }, label)));
  const from = h("input", { id: uid("from"), type: "date", value: state.from });
  const to = h("input", { id: uid("to"), type: "date", value: state.to });
  const form = h("form", { class: "filters", role: "search", "aria-label": "查询检查结果" },
    h("div", { class: "filter grow" }, h("label", { for: q.id }, "检查对象名称或代码"), q),
    list.length ? control("检查部门", department) : null, control("检查结果", outcome),
    control("检查日期自", from), control("至", to),
    h("div", { class: "filter buttons" }, h("button", { type: "submit", class: "primary" }, "查询")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, { q: q.value.trim(), department: department.value, outcome: outcome.value,
      from: from.value, to: to.value, page: 1 });
    load();
  });
  await load();
  return h("section", {}, h("div", { class: "page-head" }, heading("检查结果公示")),
    h("p", { class: "muted" }, "各部门依法公示的双随机抽查检查结果（谁检查、谁录入、谁公示）。"), form, results);
}

export async function publicSubjectView(ctx) {
  const code = ctx.arg;
  const data = await api("GET", `/public/subjects/${encodeURIComponent(code)}/results`, { anonymous: true });
  const name = data.items[0]?.subject_name || "";
  return h("section", {}, h("div", { class: "page-head" }, heading(`${name} ${code} 的检查结果`),
    h("a", { href: "#/public/results", class: "button secondary" }, "返回查询")),
  data.items.length ? resultList(data.items, false) : h("p", { class: "empty" }, "该检查对象尚无公示的检查结果。"));
}

function resultList(items, withSubject) {
  if (!items.length) return h("p", { class: "empty" }, "没有符合条件的公示结果，可调整查询条件。");
  return h("div", { class: "table-scroll" }, h("table", { class: "grid public-results" },
    h("caption", { class: "visually-hidden" }, "检查结果"),
    h("thead", {}, h("tr", {}, [withSubject ? "检查对象" : null, "检查部门", "检查事项", "检查结果", "检查情况",
      "检查日期", "公示日期"].filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((r) => h("tr", { "data-result-id": r.result_id },
      withSubject ? h("td", {}, h("a", { href: `#/public/subjects/${encodeURIComponent(r.subject_code)}` },
        r.subject_name || r.subject_code), h("div", { class: "muted" }, r.subject_code)) : null,
      h("td", {}, r.department_name), h("td", {}, r.items.join("、")),
      h("td", {}, r.outcome_name, r.version > 1 ? h("div", { class: "badge muted" },
        `更正于 ${date(r.corrected_at)}（第 ${r.version} 版）`) : null),
      h("td", {}, [r.findings, r.measures].filter(Boolean).join("；")),
      h("td", {}, date(r.inspected_on)), h("td", {}, date(r.published_at)))))));
}
