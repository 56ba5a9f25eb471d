// What the checklist, plan and directory pages share: list state in the address, a paged result area, controls
// built from field specs, the change history, a visible confirmation step, and CSV made in the browser.
import { ApiError, api, session } from "../api.js";
import { field, h, replace, uid } from "../dom.js";
import { dateTime } from "../format.js";
import { replaceQuery } from "../router.js";
import { busy, clearFormError, formErrorBox, showFormError } from "../ui.js";

export const SIZES = [20, 50, 100];

/** Department staff keep their department's checklist; they and the office keep plans and the directories. */
export function isStaff() {
  return (session.get()?.roles || []).includes("department_staff");
}

export function canWriteDirectory() {
  return isStaff() || session.isOffice();
}

// ---- list state in the address --------------------------------------------------------------------------
/**
 * A list's filters from the hash: `defaults` is {name: default} (an array default = a multi-value filter, kept
 * comma-joined); `allowed` optionally lists the values a filter may take. Adds page and size.
 */
export function readState(params, defaults, allowed = {}) {
  const state = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const raw = params.get(name);
    const ok = (v) => !allowed[name] || allowed[name].includes(v);
    if (Array.isArray(fallback)) state[name] = raw ? raw.split(",").filter((v) => v && ok(v)) : [...fallback];
    else state[name] = raw !== null && ok(raw) ? raw.slice(0, 100) : fallback;
  }
  const page = Number.parseInt(params.get("page") || "1", 10);
  const size = Number.parseInt(params.get("size") || "20", 10);
  state.page = Number.isFinite(page) && page > 0 ? page : 1;
  state.size = SIZES.includes(size) ? size : 20;
  return state;
}

/** Write the list's state back to the address (only what differs from the defaults), without navigating. */
export function writeState(path, state, defaults) {
  const params = new URLSearchParams();
  for (const [name, fallback] of Object.entries(defaults)) {
    const value = state[name];
    if (Array.isArray(value)) {
      if (value.length) params.set(name, value.join(","));
    } else if (value !== fallback) {
      params.set(name, value);
    }
  }
  if (state.page !== 1) params.set("page", String(state.page));
  if (state.size !== 20) params.set("size", String(state.size));
  replaceQuery(path, params);
}

/** "a=1&b=x&b=y": arrays repeat their name (api()'s query object cannot), empty values are left out. */
export function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== null && one !== undefined && one !== "") params.append(name, String(one));
    }
  }
  return params.toString();
}

/** Every item of a paged list endpoint (for choices such as a plan's items or all rejected rows). */
export async function allPages(path, query = {}, pageSize = 200) {
  const items = [];
  for (let page = 1; ; page += 1) {
    const result = await api("GET", `${path}?${queryString({ ...query, page, page_size: pageSize })}`);
    items.push(...result.items);
    if (items.length >= result.total || !result.items.length) return items;
  }
}


/** The filter bar above a list: [label, control, class] rows, 查询 and 重置; selects and checks apply at once. */
export function filterBar({ label, filters, onApply, onReset }) {
  const form = h("form", { class: "filters", role: "search", "aria-label": label, novalidate: true },
    filters.map(([text, control, cls]) => h("div", { class: `filter${cls ? ` ${cls}` : ""}` },
      control.tagName === "FIELDSET" ? control : [h("label", { for: control.id }, text), control])),
    h("div", { class: "filter buttons" },
      h("button", { type: "submit", class: "primary" }, "查询"),
      h("button", { type: "button", class: "secondary", onclick: onReset }, "重置")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply();
  });
  form.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT" || event.target.type === "checkbox") form.requestSubmit();
  });
  return form;
}

export function select(name, options, value, attrs = {}) {
  return h("select", { id: uid(name), name, ...attrs },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

/** A row of checkboxes used as one multi-value filter (e.g. 信用等级 A–D). */
export function checkFilter(legend, name, options, chosen) {
  return h("fieldset", { class: "check-filter" }, h("legend", {}, legend),
    options.map(([v, label]) => {
      const id = uid(name);
      return h("span", { class: "check" },
        h("input", { type: "checkbox", id, name, value: v, checked: chosen.includes(v) }),
        h("label", { for: id }, label));
    }));
}

export function checkedValues(root, name) {
  return [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((c) => c.value);
}

// ---- forms from field specs -----------------------------------------------------------------------------
/**
 * Labelled controls for a record form. A spec: {name, label, type: text|textarea|int|decimal|date|select|bool|
 * checks|radios|tags, required, hint, max, wide, attrs, options: [[value, label]], empty (shown without options)}.
 * Returns {nodes, read(), control(name)}.
 */
export function formControls(specs, values = {}) {
  const built = specs.map((spec) => {
    const made = buildControl(spec, values[spec.name]);
    if (spec.wide) made.wrap.classList.add("wide");
    return made;
  });
  return {
    nodes: built.map((b) => b.wrap),
    read: () => Object.fromEntries(built.map((b) => [b.spec.name, b.read()])),
    control: (name) => built.find((b) => b.spec.name === name),
  };
}

function buildControl(spec, value) {
  const { name, label, type = "text", required = false, hint, max, options = [] } = spec;
  if (type === "checks" || type === "radios") return choiceSet(spec, value);
  if (type === "bool") {
    const id = uid(name);
    const box = h("input", { type: "checkbox", id, name, checked: Boolean(value) });
    const wrap = h("div", { class: "field check", "data-field": name }, box, h("label", { for: id }, label),
      hint ? h("p", { class: "hint" }, hint) : null, h("p", { class: "field-error" }));
    return { spec, wrap, input: box, read: () => box.checked };
  }
  const shown = value === null || value === undefined ? "" : Array.isArray(value) ? value.join("，") : String(value);
  let control = null;
  if (type === "select") {
    control = select(name, options, shown);
  }
  const attrs = { maxlength: max, autocomplete: "off", value: type === "textarea" ? undefined : shown, ...spec.attrs };
  if (type === "int") Object.assign(attrs, { inputmode: "numeric" });
  if (type === "decimal") Object.assign(attrs, { inputmode: "decimal" });
  const made = field({ label, name, required, hint, control,
    type: type === "textarea" ? "textarea" : type === "date" ? "date" : "text", attrs });
  if (type === "textarea") made.input.value = shown;
  made.wrap.classList.add(`field-${type}`);
  const raw = () => made.input.value.trim();
  const read = {
    int: () => (/^\d{1,9}$/.test(raw()) ? Number(raw()) : raw() || null),
    tags: () => raw().split(/[,，;；、\n]+/).map((t) => t.trim()).filter(Boolean),
    date: () => raw() || null,
  }[type] || raw;
  return { spec, wrap: made.wrap, input: made.input, read };
}

function choiceSet({ name, label, type, required, hint, options, empty = "没有可选的项目。" }, value) {
  const chosen = new Set(Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);
  const hintId = hint ? uid(`${name}-hint`) : null;
  const errorId = uid(`${name}-error`);
  const inputs = options.map(([v, text]) => {
    const id = uid(name);
    return [h("input", { type: type === "checks" ? "checkbox" : "radio", id, name, value: v, checked: chosen.has(v) }),
      h("label", { for: id }, text)];
  });
  const wrap = h("fieldset", { class: "field", "data-field": name,
    "aria-describedby": [hintId, errorId].filter(Boolean).join(" ") },
    h("legend", {}, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    options.length ? h("div", { class: "check-grid" }, inputs.map((pair) => h("div", { class: "check" }, pair)))
      : h("p", { class: "muted" }, empty),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId }));
  const read = () => {
    const checked = inputs.filter(([input]) => input.checked).map(([input]) => input.value);
    // the record's own order first: re-saving an unchanged list must not log a change of order
    const values = [...[...chosen].filter((v) => checked.includes(v)), ...checked.filter((v) => !chosen.has(v))];
    return type === "checks" ? values : values[0] ?? null;
  };
  return { spec: { name }, wrap, read };
}

/** A form card: the error box, the controls in a two-column grid, submit and 取消; onSubmit() may throw an ApiError,
 * shown beside its field. */
export function recordForm({ label, nodes, submit, cancelHref, onSubmit }) {
  const errors = formErrorBox();
  const form = h("form", { class: "card record-form", novalidate: true, "aria-label": label },
    errors, h("div", { class: "form-grid" }, nodes),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, submit),
      cancelHref ? h("a", { href: cancelHref, class: "button secondary" }, "取消") : null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      try {
        await onSubmit();
      } catch (error) {
        showFormError(form, errors, error);
        if (!form.querySelector("[aria-invalid]")) errors.focus();
      }
    });
  });
  return form;
}

/** An error found before sending (e.g. an empty key that the address needs), in the API's shape. */
export function localError(fieldName, message) {
  return new ApiError(0, "local_check", message, { field: fieldName });
}

// ---- read-only pieces -----------------------------------------------------------------------------------
/** A definition list of [label, value, wide?] rows (value: text or nodes; empty shows —). */
export function facts(rows) {
  return h("dl", { class: "facts" }, rows.map(([label, value, wide]) => {
    const empty = value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);
    return [h("dt", { class: wide ? "wide" : null }, label),
      h("dd", { class: wide ? "wide" : null }, empty ? "—" : value)];
  }));
}

export const ACTIONS = { created: "新增", updated: "修改", retired: "退出清单", published: "公示", adjusted: "调整",
  credit_feedback: "检查结果反馈", disabled: "停用", enabled: "启用", password_reset: "重置密码",
  password_changed: "本人修改密码" };

/**
 * The change history (全程留痕): when, what, who, and each field's before → after.
 * describe(field, value) → text; labels: field → Chinese label (fields without a label are shown by name);
 * cite(entry) → nodes or null: a sentence above the fields, e.g. the result a credit feedback row came from.
 */
export function historySection({ entries, labels, describe, names, title = "修改记录", cite = () => null }) {
  const id = uid("history");
  const show = (f, v) => (v === null || v === undefined || v === "" ? "（空）" : describe(f, v));
  const rows = entries.map((e) => h("tr", { "data-action": e.action },
    h("td", { class: "nowrap" }, dateTime(e.at)),
    h("td", {}, h("span", { class: `badge action-${e.action}` }, ACTIONS[e.action] || e.action),
      e.import_id ? h("span", { class: "badge muted", title: `导入编号 ${e.import_id}` }, "批量导入") : null),
    h("td", {}, e.actor_user || "—", e.actor_department ? `（${names[e.actor_department] || e.actor_department}）` : ""),
    h("td", {}, cite(e),
      h("ul", { class: "plain changes" }, Object.entries(e.changes || {}).map(([f, [before, after]]) =>
        h("li", {}, h("span", { class: "change-field" }, `${labels[f] || f}：`),
          e.action === "created" ? show(f, after) : [show(f, before), " → ", show(f, after)]))))));
  return h("section", { class: "card", "aria-labelledby": id },
    h("h2", { id }, title),
    rows.length ? h("div", { class: "table-scroll" }, h("table", { class: "grid history-table" },
      h("thead", {}, h("tr", {}, ["时间", "操作", "操作人", "变更内容"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)))
      : h("p", { class: "muted" }, "还没有修改记录。"));
}

/**
 * A visible confirmation step for an irreversible command: the form's submit first shows `message()` with
 * 确认 and 取消 inside the form; only 确认 runs `run()` (buttons disabled while it is in flight).
 */
export function withConfirmation(form, { message, confirmLabel, run }) {
  const text = h("p", { class: "confirm-text" });
  const titleId = uid("confirm");
  const confirm = h("button", { type: "button", class: "danger" }, confirmLabel);
  const cancel = h("button", { type: "button", class: "secondary" }, "取消");
  const panel = h("div", { class: "confirm-step", role: "group", "aria-labelledby": titleId, hidden: true },
    h("p", { class: "confirm-title", id: titleId }, "请确认"), text, h("div", { class: "actions" }, confirm, cancel));
  form.append(panel);
  const trigger = () => form.querySelector('button[type="submit"]');
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.dataset.busy === "1") return;
    replace(text, message());
    panel.hidden = false;
    trigger().hidden = true;
    confirm.focus();
  });
  const close = () => {
    panel.hidden = true;
    trigger().hidden = false;
  };
  cancel.addEventListener("click", () => {
    close();
    trigger().focus();
  });
  confirm.addEventListener("click", () => busy(form, async () => {
    const ok = await run();
    if (form.isConnected) close();
    if (ok === false && form.isConnected) trigger().focus();
  }));
  return form;
}

// ---- CSV made in the browser ----------------------------------------------------------------------------
function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`; // a spreadsheet must not run a cell as a formula
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows (arrays) as CSV text, CRLF line ends. */
export function csvText(rows) {
  return rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** Save rows as a UTF-8 CSV with BOM (Excel opens it in Chinese) under `filename`. */
export function downloadCsv(filename, rows) {
  const blob = new Blob(["\ufeff", csvText(rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
