// 工作台: what my department must do now (the inbox), counted by kind; each count opens its list. Live.
import { api, lastPosition, session } from "../api.js";
import { h, replace } from "../dom.js";
import { date } from "../format.js";
import { coalesce, subscribe } from "../live.js";
import { replaceQuery } from "../router.js";
import { dueBadge, heading, showAlert } from "../ui.js";

// The inbox's kinds of work, in the order a task goes through them, plus every overdue one.
const KINDS = [
  { key: "respond", label: "待响应" },
  { key: "propose_day", label: "待提议检查日" },
  { key: "agree_day", label: "待确认检查日" },
  { key: "record_inspection", label: "待录入结果" },
  { key: "publish", label: "待公示" },
  { key: "review_objection", label: "待复查异议" },
  { key: "answer_objection", label: "待答复异议" },
  { key: "answer_request", label: "待答复诉求" },
  { key: "overdue", label: "已逾期" },
];
const AFTERLIFE = new Set(["review_objection", "answer_objection", "answer_request"]); // handled on 异议与诉求

export async function homeView(ctx) {
  const me = session.get();
  let chosen = KINDS.some((k) => k.key === ctx.params.get("todo")) ? ctx.params.get("todo") : null;
  const cards = h("div", { class: "todo-cards", role: "list" });
  const list = h("section", { class: "card", "aria-labelledby": "todo-title" });

  async function load() {
    const data = await api("GET", "/inbox", { query: { kind: chosen, page_size: 200, min_position: lastPosition() } });
    if (!ctx.isCurrent()) return;
    replace(cards, KINDS.map((k) => {
      const n = data.counts[k.key] || 0;
      return h("div", { role: "listitem" }, h("a", {
        href: `#/home?todo=${k.key}`, class: `todo-card${n ? "" : " empty"}${k.key === "overdue" && n ? " overdue" : ""}`,
        "aria-current": chosen === k.key ? "true" : null, "data-todo": k.key,
        onclick: (event) => { event.preventDefault(); choose(k.key); },
      }, h("span", { class: "todo-count" }, String(n)), h("span", { class: "todo-label" }, k.label)));
    }));
    const title = chosen ? KINDS.find((k) => k.key === chosen).label : "全部待办";
    const more = data.total > data.items.length ? `，显示最早到期的 ${data.items.length} 项` : "";
    replace(list, h("h2", { id: "todo-title" }, `${title}（${data.total}${more}）`),
      data.items.length ? todoTable(data.items) : h("p", { class: "muted empty-state" }, chosen
        ? "这一类暂时没有需要本部门办理的事项。"
        : "本部门暂时没有待办事项。新的联合任务推送到本部门时，会自动出现在这里。"));
  }

  function choose(key) {
    chosen = chosen === key ? null : key;
    const params = new URLSearchParams();
    if (chosen) params.set("todo", chosen);
    replaceQuery("/home", params);
    load().catch(showAlert);
  }

  const refresh = coalesce(() => load().catch(showAlert), 300);
  subscribe(() => refresh()); // anything that concerns my department may add or clear a to-do
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("工作台"),
      h("a", { href: "#/tasks/new", class: "button primary" }, "发起联合任务")),
    h("p", { class: "lead" }, `${me.department_name}：以下是本部门当前需要办理的事项，按到期先后排列。`),
    cards, list);
}

function todoTable(items) {
  return h("div", { class: "table-scroll" }, h("table", { class: "grid todo-table" },
    h("thead", {}, h("tr", {}, ["事项", "任务名称", "期限", "剩余时间"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((i) => h("tr", { "data-task-id": i.task_id },
      h("td", {}, AFTERLIFE.has(i.action) ? h("a", { href: "#/objections" }, i.label) : i.label),
      h("td", { class: "title-cell" }, h("a", { href: `#/tasks/${i.task_id}` }, i.title)),
      h("td", { class: "deadline" }, date(i.due)),
      h("td", {}, dueBadge(i.due_in)))))));
}
