// 逾期响应 (joint meeting office only): every response past its deadline or given after it (R-JOINT-4, R-OVER-1),
// now (live: reloaded on every message) or as of a past instant; CSV/XLSX exports; 通报 from a row.
import { api, lastPosition } from "../api.js";
import { departments } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { LATE_STATE, RESPONSE_STATUS, date, dateTime } from "../format.js";
import { coalesce, subscribe } from "../live.js";
import { replaceQuery } from "../router.js";
import { busy, clearFormError, formErrorBox, heading, pager, showAlert, showFormError } from "../ui.js";
import { noticeComposer, noticeable } from "./notices.js";
import { asOfBanner, asOfField, exportButtons, readAsOf, scrollTable } from "./oversight-common.js";

const SIZES = [20, 50, 100];
const EXPORT_LIMIT = 500; // the API's largest page: an export holds the first 500 rows of the filter

export async function lateResponsesView(ctx) {
  const page = Number.parseInt(ctx.params.get("page") || "1", 10);
  const size = Number.parseInt(ctx.params.get("size") || "50", 10);
  const state = {
    department: ctx.params.get("department") || "",
    as_of: readAsOf(ctx.params),
    page: Number.isFinite(page) && page > 0 ? page : 1,
    size: SIZES.includes(size) ? size : 50,
  };
  const all = (await departments()).filter((d) => d.kind !== "office");
  const results = h("div", { class: "results" });
  const composer = noticeComposer({ onIssued: () => load() });

  const select = h("select", { id: uid("department"), name: "department" },
    h("option", { value: "" }, "全部部门"),
    all.map((d) => h("option", { value: d.code, selected: d.code === state.department }, d.name)));
  const asOf = asOfField(state.as_of);
  const box = formErrorBox();
  const filters = h("form", { class: "filters oversight-filters", role: "search", "aria-label": "筛选逾期响应",
    novalidate: true },
    h("div", { class: "filter" }, h("label", { for: select.id }, "响应部门"), select),
    asOf.wrap,
    h("div", { class: "filter buttons" },
      h("button", { type: "submit", class: "primary" }, "查询"),
      h("button", { type: "button", class: "secondary", onclick: () => {
        asOf.input.value = "";
        filters.requestSubmit();
      } }, "回到当前")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    state.department = select.value;
    state.as_of = asOf.input.value;
    state.page = 1;
    composer.close();
    busy(filters, load);
  });
  select.addEventListener("change", () => filters.requestSubmit());

  const exportQuery = () => ({ department: state.department, as_of: state.as_of, page: 1, page_size: EXPORT_LIMIT });
  let loading = 0;
  async function load() {
    const mine = ++loading;
    const params = new URLSearchParams();
    if (state.department) params.set("department", state.department);
    if (state.as_of) params.set("as_of", state.as_of);
    if (state.page !== 1) params.set("page", String(state.page));
    if (state.size !== 50) params.set("size", String(state.size));
    replaceQuery("/oversight/late-responses", params);
    results.setAttribute("aria-busy", "true");
    clearFormError(filters, box);
    try {
      const data = await api("GET", "/oversight/late-responses", {
        query: { department: state.department, as_of: state.as_of, page: state.page, page_size: state.size,
          min_position: lastPosition() },
      });
      if (mine !== loading || !ctx.isCurrent()) return;
      const past = Boolean(data.as_of);
      replace(results, asOfBanner(data),
        table(data.items, past ? null : (row) => composer.open(row, data.items)),
        pager({
          page: state.page, pageSize: state.size, total: data.total, sizes: SIZES,
          onPage: (p) => { state.page = p; load(); },
          onSize: (s) => { state.size = s; state.page = 1; load(); },
        }),
        data.total > EXPORT_LIMIT ? h("p", { class: "hint" },
          `共 ${data.total} 条，导出文件只含前 ${EXPORT_LIMIT} 条；请按响应部门筛选后分别导出。`) : null);
    } catch (error) {
      if (mine !== loading) return;
      replace(results);
      showFormError(filters, box, error);
    } finally {
      if (mine === loading) results.removeAttribute("aria-busy");
    }
  }
  await load();
  // Live: a response given, a deadline passing (ResponseOverdue), a reason or a notice changes the list. The past
  // (as_of) does not change, so only the present view follows.
  const refresh = coalesce(() => (ctx.isCurrent() && !state.as_of ? load() : null), 300);
  subscribe(() => refresh());

  return h("section", {},
    h("div", { class: "page-head" }, heading("逾期响应"),
      exportButtons({ path: "/oversight/late-responses", name: "late-responses", label: "逾期响应",
        query: exportQuery })),
    h("p", { class: "lead" },
      "超过响应期限仍未响应、或在期限之后才响应的部门。逾期且未说明理由的，联席会议办公室可予以通报。"),
    box, filters, composer.node, results);
}

function table(items, onNotice) {
  const rows = items.map((r) => h("tr", { "data-task-id": r.task_id, "data-department": r.department_code },
    h("td", { class: "title-cell" }, h("a", { href: `#/tasks/${r.task_id}` }, r.task_title || r.task_id)),
    h("td", {}, r.department_name || r.department_code),
    h("td", {}, date(r.deadline)),
    h("td", {}, r.responded_at ? dateTime(r.responded_at) : "未响应"),
    h("td", {}, RESPONSE_STATUS[r.response_status] || r.response_status || "—"),
    h("td", {}, h("span", { class: `badge state-${r.state}` }, LATE_STATE[r.state] || r.state)),
    h("td", {}, r.reason || "—"),
    h("td", { class: "row-actions" }, actionOf(r, onNotice))));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 8, class: "empty" },
      "目前没有逾期响应。各部门超过响应期限仍未响应时，会自动出现在这里。")));
  }
  return scrollTable(h("table", { class: "grid late-table" },
    h("caption", { class: "visually-hidden" }, "逾期响应列表"),
    h("thead", {}, h("tr", {},
      ["任务名称", "响应部门", "响应期限", "响应时间", "响应结果", "逾期情况", "逾期理由", "操作"]
        .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

function actionOf(row, onNotice) {
  if (!onNotice) return h("span", { class: "muted" }, "—"); // the past: notices are about the present
  if (!noticeable(row)) return h("span", { class: "muted" }, "已说明理由");
  return h("button", { type: "button", class: "secondary",
    "aria-label": `发出通报：${row.department_name || row.department_code}，${row.task_title || row.task_id}`,
    onclick: () => onNotice(row) }, "发出通报");
}
