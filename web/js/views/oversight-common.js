// Pieces the office's oversight pages share: the "as of" past-instant field (?as_of=, R-OVER-1), CSV/XLSX
// downloads with the bearer token, and a page frame for the unpaginated oversight tables.
import { ApiError, api, lastPosition, session } from "../api.js";
import { field, h, replace } from "../dom.js";
import { dateTime } from "../format.js";
import { replaceQuery } from "../router.js";
import { busy, clearFormError, formErrorBox, heading, showAlert, showFormError, showNotice } from "../ui.js";

/** A datetime-local value ("2026-03-03T09:00"), or "" for anything else (the address is typed by people). */
export function readAsOf(params) {
  const value = (params.get("as_of") || "").trim();
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? value : "";
}

/** The "查看时点" field: empty is now; a past date and time (Beijing time) replays the log up to then. */
export function asOfField(value) {
  const f = field({
    label: "查看时点", name: "as_of", type: "datetime-local",
    hint: "留空为当前；填写过去某一时刻（北京时间）可查看当时的情况。",
    attrs: { value, step: 60 },
  });
  f.wrap.classList.add("filter", "as-of-field");
  return f;
}

/** A line above the table when it shows the past; the instant is the one the server answered for. */
export function asOfBanner(body) {
  if (!body || !body.as_of) return null;
  return h("p", { class: "as-of-banner", "data-as-of": body.as_of },
    `以下为 ${dateTime(body.as_of)}（北京时间）时办公室所见的情况，按事件日志重放生成；当前情况请清空“查看时点”。`);
}

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const star = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  const plain = header.match(/filename="?([^";]+)"?/i);
  return plain ? plain[1] : fallback;
}

/**
 * Download GET /api/v1{path}?{query} with the bearer token and save it through a Blob link (a plain link would
 * carry no token). Throws ApiError with the server's Chinese message. Returns the file name.
 */
export async function download(path, query, fallback) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = {};
  const token = session.get()?.access_token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, { headers });
  } catch {
    throw new ApiError(0, "network_error", "无法连接服务器，请检查网络后重试。");
  }
  if (!response.ok) {
    let e = null;
    try {
      e = (await response.json()).error;
    } catch {
      e = null;
    }
    if (response.status === 401) {
      // Let api() see the expired login too: it takes the clerk to the login page and back afterwards.
      await api("GET", "/auth/me").catch(() => {});
    }
    throw e && e.message ? new ApiError(response.status, e.code, e.message, e.details)
      : new ApiError(response.status, "http_error", `导出失败（HTTP ${response.status}），请稍后重试。`);
  }
  const blob = await response.blob();
  const name = filenameOf(response, fallback);
  const href = URL.createObjectURL(blob);
  const link = h("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}

/** 导出 CSV / 导出 XLSX for one table; `query()` gives the table's current filters (as_of included). */
export function exportButtons({ path, name, label, query }) {
  const group = h("div", { class: "export-buttons", role: "group", "aria-label": `导出${label}` });
  for (const [format, text] of [["csv", "导出 CSV"], ["xlsx", "导出 XLSX"]]) {
    const button = h("button", { type: "button", class: "secondary", "data-format": format }, text);
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      try {
        const file = await download(path, { ...query(), format }, `${name}.${format}`);
        showNotice(`已导出文件：${file}`);
      } catch (error) {
        showAlert(error);
      } finally {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
    });
    group.append(button);
  }
  return group;
}

/** The table inside its card, scrolling sideways on a phone instead of widening the page. */
export function scrollTable(table) {
  return h("div", { class: "table-scroll" }, table);
}

/** A <table class="grid …"> with a hidden caption, headers and rows (or one row saying what to do when empty). */
export function gridTable({ className, caption, headers, rows, empty }) {
  const body = rows.length ? rows
    : [h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, empty))];
  return scrollTable(h("table", { class: `grid ${className}` },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, body)));
}

/**
 * An unpaginated oversight table page: heading, lead, a filter form (查看时点 plus `fields`), exports and the
 * rendered answer; the filters live in the address. `fields`: [{name, label, type, initial, hint}];
 * `render(body)` returns the nodes to show.
 */
export async function oversightPage(ctx, { route, title, lead, path, name, fields = [], render }) {
  const state = { as_of: readAsOf(ctx.params) };
  const extra = fields.map((spec) => {
    const f = field({ label: spec.label, name: spec.name, type: spec.type || "text", hint: spec.hint,
      required: Boolean(spec.required), attrs: { value: spec.initial(ctx.params) } });
    f.wrap.classList.add("filter");
    state[spec.name] = f.input.value;
    return { spec, ...f };
  });
  const asOf = asOfField(state.as_of);
  const box = formErrorBox();
  const form = h("form", { class: "filters oversight-filters", role: "search", "aria-label": `筛选${title}`,
    novalidate: true },
  extra.map((f) => f.wrap), asOf.wrap,
  h("div", { class: "filter buttons" },
    h("button", { type: "submit", class: "primary" }, "查询"),
    h("button", { type: "button", class: "secondary", onclick: () => { asOf.input.value = ""; form.requestSubmit(); } },
      "回到当前")));
  const results = h("div", { class: "results" });
  const query = () => Object.fromEntries(Object.entries(state).filter(([, v]) => v));

  let loading = 0;
  async function load() {
    const mine = ++loading;
    replaceQuery(route, new URLSearchParams(query()));
    results.setAttribute("aria-busy", "true");
    clearFormError(form, box);
    try {
      const body = await api("GET", path, { query: { ...query(), min_position: lastPosition() } });
      if (mine !== loading || !ctx.isCurrent()) return;
      replace(results, asOfBanner(body), render(body));
    } catch (error) {
      if (mine !== loading) return;
      replace(results);
      showFormError(form, box, error);
    } finally {
      if (mine === loading) results.removeAttribute("aria-busy");
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.as_of = asOf.input.value;
    for (const f of extra) state[f.spec.name] = f.input.value;
    busy(form, load);
  });
  await load();

  return h("section", {},
    h("div", { class: "page-head" }, heading(title),
      exportButtons({ path, name, label: title, query })),
    h("p", { class: "lead" }, lead),
    box, form, results);
}
