// Shared pieces: the page alert and notice regions, form error display, status badges, pagination.
import { h, replace } from "./dom.js";
import { TASK_STATUS, dueText } from "./format.js";

const alertBox = () => document.getElementById("alert");
const noticeBox = () => document.getElementById("notice");

/** Show an API error (or any message) in the page's alert region (role="alert"). */
export function showAlert(errorOrMessage) {
  const message = typeof errorOrMessage === "string" ? errorOrMessage : messageOf(errorOrMessage);
  replace(alertBox(), message);
}

export function clearMessages() {
  replace(alertBox());
  replace(noticeBox());
}

/** A success line in the polite status region. */
export function showNotice(message) {
  replace(noticeBox(), message);
}

let flashed = null;
/** A notice to show on the next page rendered (after a command navigates elsewhere). */
export function flash(message, kind = "notice") {
  flashed = { message, kind };
}
export function takeFlash() {
  const message = flashed;
  flashed = null;
  return message;
}

export function messageOf(error) {
  if (error && error.message) return error.message;
  return "操作未完成，请稍后重试。";
}

/** An error box for one form; role="alert" so the message is announced where the clerk is working. */
export function formErrorBox() {
  return h("div", { class: "form-error", role: "alert", tabindex: "-1" });
}

/**
 * Show an ApiError next to its form: the message (Chinese, as returned) in the form's alert box, and each field
 * named in details ([{field, message}] for validation errors, {field} for rule errors) marked beside its control.
 */
export function showFormError(form, box, error) {
  clearFormError(form, box);
  replace(box, messageOf(error));
  const fields = [];
  const details = error && error.details;
  if (Array.isArray(details)) {
    for (const d of details) if (d && d.field) fields.push([d.field.split(".")[0], d.message]);
  } else if (details && typeof details === "object" && details.field) {
    fields.push([details.field, error.message]);
  }
  let first = null;
  for (const [name, message] of fields) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) continue;
    wrap.classList.add("invalid");
    const slot = wrap.querySelector(".field-error");
    if (slot) slot.textContent = message;
    wrap.querySelectorAll("input, textarea, select").forEach((c) => c.setAttribute("aria-invalid", "true"));
    first = first || wrap.querySelector("input, textarea, select");
  }
  if (first) first.focus();
}

export function clearFormError(form, box) {
  replace(box);
  form.querySelectorAll(".invalid").forEach((w) => w.classList.remove("invalid"));
  form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
}

/** Run a form's submit: disable its buttons while the request is in flight (a double click sends once). */
export async function busy(form, work) {
  if (form.dataset.busy === "1") return;
  form.dataset.busy = "1";
  form.setAttribute("aria-busy", "true");
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await work();
  } finally {
    delete form.dataset.busy;
    form.removeAttribute("aria-busy");
    buttons.forEach((b) => { if (b.isConnected) b.disabled = false; });
  }
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, TASK_STATUS[status] || status);
}

export function provisionalMark() {
  return h("span", { class: "badge provisional", title: "该年度工作日历尚未公布，期限按周一至周五暂定，公布后可能调整" },
    "暂定");
}

/** 上一页 / 第 x / y 页，共 n 条 / 下一页, with a page-size choice. */
export function pager({ page, pageSize, total, sizes = [20, 50, 100], onPage, onSize }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const sizeSelect = h("select", { "aria-label": "每页条数", onchange: (e) => onSize(Number(e.target.value)) },
    sizes.map((s) => h("option", { value: s, selected: s === pageSize }, `每页 ${s} 条`)));
  return h("nav", { class: "pager", "aria-label": "分页" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => onPage(page - 1) }, "上一页"),
    h("span", { class: "pager-info", "aria-live": "polite" }, `第 ${Math.min(page, pages)} / ${pages} 页，共 ${total} 条`),
    h("button", { type: "button", disabled: page >= pages, onclick: () => onPage(page + 1) }, "下一页"),
    sizeSelect);
}

/** The page heading, focusable so navigation can move focus to it. */
export function heading(text, ...extra) {
  return h("h1", { tabindex: "-1", class: "page-title" }, text, ...extra);
}

/** The countdown badge of a deadline ({state, working_days} from the server), coloured by urgency. */
export function dueBadge(due) {
  const [text, urgency] = dueText(due);
  return text ? h("span", { class: `badge due due-${urgency}` }, text) : null;
}

/**
 * The result area of a list page: fetchPage() → {items, total, …}; render(items, total, data) → the table.
 * The newest load wins; errors go to the page's alert. load() re-reads,
 * saves the state in the address, and shows the pager; a page past the end moves back to the last one.
 */
export function pagedResults({ ctx, state, save = () => {}, fetchPage, render, sizes = [20, 50, 100] }) {
  const results = h("div", { class: "results" });
  let loading = 0;
  let shown = null; // the data on screen, so a live change can be applied to it without reading the page again
  function show(data) {
    shown = data;
    replace(results, render(data.items, data.total, data), pager({
      page: state.page, pageSize: state.size, total: data.total, sizes,
      onPage: (p) => { state.page = p; load(); },
      onSize: (s) => { state.size = s; state.page = 1; load(); },
    }));
  }
  async function load() {
    const mine = ++loading;
    save();
    results.setAttribute("aria-busy", "true");
    try {
      const data = await fetchPage();
      if (mine !== loading || !ctx.isCurrent()) return;
      const pages = Math.max(1, Math.ceil(data.total / state.size));
      if (state.page > pages && data.total > 0) {
        state.page = pages;
        load();
        return;
      }
      show(data);
    } catch (error) {
      if (mine !== loading) return;
      replace(results);
      showAlert(error);
    } finally {
      if (mine === loading) results.removeAttribute("aria-busy");
    }
  }
  /** Put `item` (keyed by `key`) on the page shown: in its place if there, else first (a new one); no read. */
  function upsert(item, key) {
    if (!shown) return;
    const at = shown.items.findIndex((i) => i[key] === item[key]);
    const items = at >= 0 ? shown.items.map((i, n) => (n === at ? item : i))
      : [item, ...shown.items].slice(0, state.size);
    show({ ...shown, items, total: shown.total + (at >= 0 ? 0 : 1) });
  }
  const has = (key, value) => Boolean(shown && shown.items.some((i) => i[key] === value));
  return { results, load, upsert, has };
}

/** After a command on a page: clear the alert, re-read the page (`load`), say what happened, and move focus to the
 * element marked data-focus-after (else the page's heading). */
export async function reloadAfterCommand(ctx, root, load, message) {
  showAlert("");
  try {
    await load();
  } catch (error) {
    showAlert(error);
  }
  if (!ctx.isCurrent()) return;
  if (message) showNotice(message);
  (root.querySelector("[data-focus-after]") || root.querySelector("h1"))?.focus();
}

/**
 * Live on a page with forms (draw, matching, results): a change to the task by someone else does not re-render
 * under the clerk's typing; a bar says so and re-reads on request. Returns the bar, to put at the top of the page.
 */
export function changedElsewhereBar(taskId, reload, subscribe) {
  const bar = h("div", { class: "changed-bar no-print", "aria-live": "polite", hidden: true },
    "本任务有新的办理记录。", h("button", { type: "button", class: "secondary", onclick: async () => {
      bar.hidden = true;
      await reload();
    } }, "刷新"));
  subscribe((message) => {
    if (message.task_id === taskId || message.type === "resync") bar.hidden = false;
  });
  return bar;
}
