// 我的任务: tabs 全部 / 我牵头的 / 我响应的, status filter, title search, sort, pagination.
import { api, lastPosition, session } from "../api.js";
import { departmentNames } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { RESPONSE_STATUS, TASK_STATUS, date, dateTime } from "../format.js";
import { coalesce, subscribe } from "../live.js";
import { replaceQuery } from "../router.js";
import { dueBadge, heading, pagedResults, provisionalMark, statusBadge } from "../ui.js";

const TABS = [
  { key: "all", role: "any", label: "全部" },
  { key: "lead", role: "lead", label: "我牵头的" },
  { key: "responder", role: "responder", label: "我响应的" },
];
const SORTS = { pushed_at: "推送时间", response_deadline: "响应期限" };
const ORDERS = { desc: "从晚到早", asc: "从早到晚" };
const SIZES = [20, 50, 100];
// Events after which a task not on the page may belong on it
const ENTERS_LIST = new Set(["JointTask.Initiated", "JointTask.MergeAbsorbed", "JointTask.Merged",
  "JointTask.DeadlineRecomputed"]);
const NEW_TASK = new Set(["JointTask.Initiated"]); // newest first: a new task of mine goes on top of page 1

function readState(params) {
  const pick = (name, allowed, fallback) => (allowed.includes(params.get(name)) ? params.get(name) : fallback);
  const page = Number.parseInt(params.get("page") || "1", 10);
  const size = Number.parseInt(params.get("size") || "20", 10);
  return {
    tab: pick("tab", TABS.map((t) => t.key), "all"),
    status: pick("status", Object.keys(TASK_STATUS), ""),
    q: (params.get("q") || "").slice(0, 100),
    sort: pick("sort", Object.keys(SORTS), "pushed_at"),
    order: pick("order", Object.keys(ORDERS), "desc"),
    page: Number.isFinite(page) && page > 0 ? page : 1,
    size: SIZES.includes(size) ? size : 20,
  };
}

function writeState(state) {
  const params = new URLSearchParams();
  if (state.tab !== "all") params.set("tab", state.tab);
  if (state.status) params.set("status", state.status);
  if (state.q) params.set("q", state.q);
  if (state.sort !== "pushed_at") params.set("sort", state.sort);
  if (state.order !== "desc") params.set("order", state.order);
  if (state.page !== 1) params.set("page", String(state.page));
  if (state.size !== 20) params.set("size", String(state.size));
  replaceQuery("/tasks", params);
}

export async function tasksView(ctx) {
  const state = readState(ctx.params);
  const me = session.get();
  const names = await departmentNames();
  const panelId = uid("tasks-panel");

  const { results, load, upsert, has } = pagedResults({
    ctx, state, sizes: SIZES, save: () => writeState(state),
    fetchPage: async () => {
      const tab = TABS.find((t) => t.key === state.tab);
      return api("GET", "/joint-tasks", {
        query: { role: tab.role, status: state.status, q: state.q, sort: state.sort, order: state.order,
          page: state.page, page_size: state.size, min_position: lastPosition() },
      });
    },
    render: (items) => table(items, state, names, me),
  });

  // ---- tabs (arrow keys move between them, as in any tab list) ----
  const tabs = TABS.map((t) => h("button", {
    type: "button", role: "tab", id: `tab-${t.key}`, "aria-controls": panelId,
    "aria-selected": String(t.key === state.tab), tabindex: t.key === state.tab ? "0" : "-1",
    onclick: () => selectTab(t.key),
  }, t.label));
  const tablist = h("div", { role: "tablist", "aria-label": "任务范围", class: "tabs" }, tabs);
  tablist.addEventListener("keydown", (event) => {
    const index = TABS.findIndex((t) => t.key === state.tab);
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: TABS.length - 1 - index };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = TABS[(index + moves[event.key] + TABS.length) % TABS.length];
    selectTab(next.key);
    tabs[TABS.indexOf(next)].focus();
  });
  function selectTab(key) {
    state.tab = key;
    state.page = 1;
    tabs.forEach((tab, i) => {
      const on = TABS[i].key === key;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", `tab-${key}`);
    load();
  }

  // ---- filters ----
  const statusSelect = h("select", { id: uid("status"), name: "status" },
    h("option", { value: "" }, "全部状态"),
    Object.entries(TASK_STATUS).map(([v, label]) => h("option", { value: v, selected: v === state.status }, label)));
  const search = h("input", { id: uid("q"), name: "q", type: "search", value: state.q, maxlength: 100,
    placeholder: "输入任务名称中的文字" });
  const sortSelect = h("select", { id: uid("sort"), name: "sort" },
    Object.entries(SORTS).map(([v, label]) => h("option", { value: v, selected: v === state.sort }, label)));
  const orderSelect = h("select", { id: uid("order"), name: "order" },
    Object.entries(ORDERS).map(([v, label]) => h("option", { value: v, selected: v === state.order }, label)));
  const filters = h("form", { class: "filters", role: "search", "aria-label": "筛选任务", novalidate: true },
    h("div", { class: "filter" }, h("label", { for: statusSelect.id }, "状态"), statusSelect),
    h("div", { class: "filter grow" }, h("label", { for: search.id }, "搜索任务名称"), search),
    h("div", { class: "filter" }, h("label", { for: sortSelect.id }, "排序"), sortSelect),
    h("div", { class: "filter" }, h("label", { for: orderSelect.id }, "顺序"), orderSelect),
    h("div", { class: "filter buttons" },
      h("button", { type: "submit", class: "primary" }, "查询"),
      h("button", { type: "button", class: "secondary", onclick: reset }, "重置")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    state.status = statusSelect.value;
    state.q = search.value.trim();
    state.sort = sortSelect.value;
    state.order = orderSelect.value;
    state.page = 1;
    load();
  });
  for (const select of [statusSelect, sortSelect, orderSelect]) {
    select.addEventListener("change", () => filters.requestSubmit());
  }
  function reset() {
    Object.assign(state, { status: "", q: "", sort: "pushed_at", order: "desc", page: 1 });
    statusSelect.value = "";
    search.value = "";
    sortSelect.value = "pushed_at";
    orderSelect.value = "desc";
    load();
  }

  const panel = h("div", { role: "tabpanel", id: panelId, "aria-labelledby": `tab-${state.tab}` }, filters, results);

  await load();
  // Live: a task pushed to my department, or a change on one I see, shows without reloading the page.
  // Live. In the default view (page 1, newest first, no filter) a new task or a change to a task on the page is
  // fetched alone and put in place; anything else that can change the page re-reads it. Changes to tasks further
  // down the list (e.g. the deadline watcher marking old responses overdue) do nothing.
  const refresh = coalesce(() => load(), 150);
  subscribe((message) => {
    if (message.type === "resync") { refresh(); return; }
    const id = message.task_id;
    if (!id) return;
    const onPage = has("task_id", id);
    if (!onPage && !state.status && !ENTERS_LIST.has(message.type)) return;
    const plain = state.page === 1 && !state.status && !state.q && state.sort === "pushed_at" && state.order === "desc";
    if (!plain || !(onPage || NEW_TASK.has(message.type))) refresh();
    else if (message.row) placeRow(message.row, onPage);
    else fetchRow(id, onPage, message.position).catch(() => refresh());
  });
  // The row the server sent with the message (api/http/ws.py): put in place if it belongs in this tab, as the
  // list's own filter would decide (lead/responder tabs; the office's 全部 shows every task).
  function placeRow(row, onPage) {
    const tab = TABS.find((t) => t.key === state.tab);
    const belongs = (tab.role === "any" && session.isOffice()) || row.departments.some(
      (d) => d.department === me.department_code && (tab.role === "any" || d.role === tab.role));
    if (belongs) upsert(row, "task_id");
    else if (onPage) refresh();
  }
  // The row as of the message's own position: not the latest position this tab has heard of, which in a stream
  // of other changes would make the read wait for the read models to catch up with all of them.
  async function fetchRow(id, onPage, position) {
    const tab = TABS.find((t) => t.key === state.tab);
    const data = await api("GET", "/joint-tasks", {
      query: { role: tab.role, task_id: id, min_position: position || lastPosition() } });
    if (!ctx.isCurrent()) return;
    if (data.items.length) upsert(data.items[0], "task_id");
    else if (onPage) refresh(); // no longer mine in this tab: re-read the page
  }

  return h("section", {},
    h("div", { class: "page-head" }, heading("我的任务"),
      h("a", { href: "#/tasks/new", class: "button primary" }, "发起联合任务")),
    tablist, panel);
}

function table(items, state, names, me) {
  const sortAttr = (key) => (state.sort === key ? (state.order === "asc" ? "ascending" : "descending") : null);
  const rows = items.map((t) => {
    const responders = t.departments.filter((d) => d.role === "responder");
    const answered = responders.filter((d) => d.response_status !== "pending").length;
    const own = t.departments.find((d) => d.department === me.department_code);
    const mine = t.todo; // what my department must do on it now, as the server counts it (the inbox's rule)
    return h("tr", { "data-task-id": t.task_id, class: mine ? "todo-row" : null },
      h("td", { class: "title-cell" }, h("a", { href: `#/tasks/${t.task_id}` }, t.title),
        t.planned ? null : h("span", { class: "badge muted" }, "计划外"),
        mine ? h("span", { class: "badge todo-mark", title: mine }, "需本部门办理") : null),
      h("td", {}, names[t.lead_department] || t.lead_department),
      h("td", {}, statusBadge(t.status)),
      h("td", {}, own ? (RESPONSE_STATUS[own.response_status] || own.response_status) : "—"),
      h("td", { class: "num" }, `${answered}/${responders.length}`),
      h("td", { class: "deadline" }, date(t.response_deadline), t.deadline_provisional ? provisionalMark() : null,
        t.response_due ? h("div", {}, dueBadge(t.response_due)) : null),
      h("td", {}, dateTime(t.pushed_at)),
      h("td", {}, `${date(t.window_start)} 至 ${date(t.window_end)}`));
  });
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 8, class: "empty" },
      "没有符合条件的任务。可调整筛选条件，或点击“发起联合任务”推送一个新任务。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid tasks-table" },
    h("caption", { class: "visually-hidden" }, "联合任务列表"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "任务名称"),
      h("th", { scope: "col" }, "牵头部门"),
      h("th", { scope: "col" }, "状态"),
      h("th", { scope: "col" }, "本部门"),
      h("th", { scope: "col", title: "已响应部门数 / 响应部门数" }, "响应进度"),
      h("th", { scope: "col", "aria-sort": sortAttr("response_deadline") }, "响应期限"),
      h("th", { scope: "col", "aria-sort": sortAttr("pushed_at") }, "推送时间"),
      h("th", { scope: "col" }, "检查时间窗口"))),
    h("tbody", {}, rows)));
}
