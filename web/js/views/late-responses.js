// 逾期响应 (joint meeting office only): every response past its deadline or given after it (R-JOINT-4, R-OVER-1).
import { api, lastPosition } from "../api.js";
import { departments } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { LATE_STATE, RESPONSE_STATUS, date, dateTime } from "../format.js";
import { replaceQuery } from "../router.js";
import { heading, pager, showAlert } from "../ui.js";

const SIZES = [20, 50, 100];

export async function lateResponsesView(ctx) {
  const page = Number.parseInt(ctx.params.get("page") || "1", 10);
  const size = Number.parseInt(ctx.params.get("size") || "50", 10);
  const state = {
    department: ctx.params.get("department") || "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
    size: SIZES.includes(size) ? size : 50,
  };
  const all = (await departments()).filter((d) => d.kind !== "office");
  const results = h("div", { class: "results" });

  const select = h("select", { id: uid("department"), name: "department" },
    h("option", { value: "" }, "全部部门"),
    all.map((d) => h("option", { value: d.code, selected: d.code === state.department }, d.name)));
  const filters = h("form", { class: "filters", role: "search", "aria-label": "筛选逾期响应", novalidate: true },
    h("div", { class: "filter" }, h("label", { for: select.id }, "响应部门"), select),
    h("div", { class: "filter buttons" }, h("button", { type: "submit", class: "primary" }, "查询")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    state.department = select.value;
    state.page = 1;
    load();
  });
  select.addEventListener("change", () => filters.requestSubmit());

  let loading = 0;
  async function load() {
    const mine = ++loading;
    const params = new URLSearchParams();
    if (state.department) params.set("department", state.department);
    if (state.page !== 1) params.set("page", String(state.page));
    if (state.size !== 50) params.set("size", String(state.size));
    replaceQuery("/oversight/late-responses", params);
    results.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", "/oversight/late-responses", {
        query: { department: state.department, page: state.page, page_size: state.size,
          min_position: lastPosition() },
      });
      if (mine !== loading || !ctx.isCurrent()) return;
      replace(results, table(data.items), pager({
        page: state.page, pageSize: state.size, total: data.total, sizes: SIZES,
        onPage: (p) => { state.page = p; load(); },
        onSize: (s) => { state.size = s; state.page = 1; load(); },
      }));
    } catch (error) {
      if (mine !== loading) return;
      replace(results);
      showAlert(error);
    } finally {
      if (mine === loading) results.removeAttribute("aria-busy");
    }
  }
  await load();

  return h("section", {}, heading("逾期响应"),
    h("p", { class: "lead" },
      "超过响应期限仍未响应、或在期限之后才响应的部门。逾期且未说明理由的，联席会议办公室可予以通报。"),
    filters, results);
}

function table(items) {
  const rows = items.map((r) => h("tr", { "data-task-id": r.task_id, "data-department": r.department_code },
    h("td", { class: "title-cell" }, h("a", { href: `#/tasks/${r.task_id}` }, r.task_title || r.task_id)),
    h("td", {}, r.department_name || r.department_code),
    h("td", {}, date(r.deadline)),
    h("td", {}, r.responded_at ? dateTime(r.responded_at) : "未响应"),
    h("td", {}, RESPONSE_STATUS[r.response_status] || r.response_status || "—"),
    h("td", {}, h("span", { class: `badge state-${r.state}` }, LATE_STATE[r.state] || r.state)),
    h("td", {}, r.reason || "—")));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 7, class: "empty" }, "目前没有逾期响应。")));
  return h("table", { class: "grid late-table" },
    h("caption", { class: "visually-hidden" }, "逾期响应列表"),
    h("thead", {}, h("tr", {},
      ["任务名称", "响应部门", "响应期限", "响应时间", "响应结果", "逾期情况", "逾期理由"]
        .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows));
}
