// 抽取记录 (#/draws/{id}): the witnessed, printable record of one draw (R-DRAW-5) — who, when, the criteria, the
// witnesses, the commitment, the revealed seed, the pool's fingerprint and size, the drawn list with overlap flags
// (R-DRAW-6) and signature lines; the pool list and the record as files; the server's and the browser's checks.
// Also the pieces the draw and matching pages share (labels, the drawn table, files, the draws this browser knows).
import { ApiError, api, session } from "../api.js";
import { departmentNames } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { TASK_STATUS, date, dateTime, taskNumber } from "../format.js";
import { busy, clearFormError, formErrorBox, heading, messageOf, showFormError } from "../ui.js";

export const WITNESS_ROLES = { // domain/joint_task_rules.py WITNESS_ROLES
  staff: "工作人员", legal_adviser: "法律顾问", enterprise_representative: "企业代表",
  public_representative: "群众代表", supervisor: "纪检监督人员",
};
export const SUBJECT_KINDS = { // domain/codes.py SUBJECT_KINDS (R-SUBJ-3)
  enterprise: "企业", individual: "个人", institution: "机关事业单位", product: "产品", project: "项目", behaviour: "行为",
};
export const SUBJECT_FLAGS = {
  abnormal_operation: "经营异常名录", key_attention: "重点关注", dishonest: "失信", serious_violation: "严重违法",
};
export const RISK_LEVELS = { low: "低", medium: "中", high: "高" };
export const CREDIT_CLASSES = ["A", "B", "C", "D"];
export const EXEMPTION_OVERRIDES = { // R-DRAW-4: exempt subjects are not excused for these
  safety: "安全生产", environment: "生态环境", complaint: "投诉举报", superior_order: "上级交办",
};
export const DRAW_STATUS = {
  committed: "已登记承诺值，待执行", drawn: "已抽取", superseded: "已被重新抽取替代", abandoned: "未执行，已被重新登记替代",
};
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// ---- the draws this browser has seen, per task ----------------------------------------------------------------
// The task's own view does not list its draws, so the pages remember the ids they committed or were linked to.
const DRAWS_KEY = "jointinspect.draws";

function drawMemory() {
  try {
    const value = JSON.parse(localStorage.getItem(DRAWS_KEY) || "{}");
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

export function isDrawId(value) {
  return typeof value === "string" && UUID_RE.test(value);
}

export function rememberDraw(taskId, drawId) {
  if (!isDrawId(drawId)) return;
  const memory = drawMemory();
  const list = (memory[taskId] || []).filter((d) => d !== drawId);
  list.push(drawId);
  memory[taskId] = list.slice(-20);
  try {
    localStorage.setItem(DRAWS_KEY, JSON.stringify(memory));
  } catch {
    // storage full or disabled: the page still works from the address
  }
}

/** Draw ids for a task: what its view names (if it does), the address's ?draw=, and what this browser remembers. */
export function knownDrawIds(task, params) {
  const ids = [];
  if (task.current_draw) ids.push(task.current_draw);
  const listed = Array.isArray(task.draws) ? task.draws : Object.keys(task.draws || {});
  for (const d of listed) ids.push(typeof d === "string" ? d : d && d.draw_id);
  if (params && params.get("draw")) ids.push(params.get("draw"));
  ids.push(...(drawMemory()[task.id] || []).slice().reverse());
  return [...new Set(ids.filter(isDrawId))];
}

/** The records of those draws that this department may read (others are skipped), newest commitment first. */
export async function loadDraws(task, params) {
  const records = await Promise.all(knownDrawIds(task, params).map((id) => api("GET", `/draws/${id}`)
    .catch((error) => (error.status === 404 || error.status === 403 || error.status === 422 ? null : Promise.reject(error)))));
  return records.filter((r) => r && r.task_id === task.id)
    .sort((a, b) => String(b.committed_at).localeCompare(String(a.committed_at)));
}

// ---- names shown beside codes -------------------------------------------------------------------------------
let itemNamesPromise = null;
/** Joint check item id → name (flags name items by id); empty on failure. */
export function itemNames() {
  if (!itemNamesPromise) {
    itemNamesPromise = api("GET", "/check-items", { query: { item_class: "C", page_size: 500 } })
      .then((r) => Object.fromEntries(r.items.map((i) => [i.id, i.name])))
      .catch(() => {
        itemNamesPromise = null;
        return {};
      });
  }
  return itemNamesPromise;
}

/** code → subject name, read a few at a time (a large draw shows codes only). */
export async function subjectNames(codes, limit = 300) {
  const names = {};
  if (codes.length > limit) return names;
  const queue = [...codes];
  const worker = async () => {
    while (queue.length) {
      const code = queue.shift();
      try {
        const subject = await api("GET", `/subjects/${encodeURIComponent(code)}`);
        names[code] = subject.name;
      } catch {
        // deregistered or unknown: the code alone
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return names;
}

// ---- files ---------------------------------------------------------------------------------------------------
/** Save a Blob as a file through a temporary download link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The pool list (GET /draws/{id}/pool, text): fetched with the bearer token, as api() does for JSON. */
export async function fetchPool(drawId, published = false) {
  const token = published ? null : session.get()?.access_token;
  let response;
  try {
    response = await fetch(`/api/v1/${published ? "public/" : ""}draws/${drawId}/pool`, {
      headers: token ? { Authorization: `Bearer ${token}`, Accept: "text/plain" } : { Accept: "text/plain" },
    });
  } catch {
    throw new ApiError(0, "network_error", "无法连接服务器，请检查网络后重试。");
  }
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    const e = body && body.error;
    throw new ApiError(response.status, e ? e.code : "http_error",
      e && e.message ? e.message : `下载失败（HTTP ${response.status}），请稍后重试。`, e ? e.details : null);
  }
  return response.blob();
}

export async function downloadPool(drawId) {
  saveBlob(await fetchPool(drawId), `pool-${drawId}.tsv`);
}

export function downloadRecord(record) {
  const text = `${JSON.stringify(record, null, 2)}\n`;
  saveBlob(new Blob([text], { type: "application/json;charset=utf-8" }), `draw-${record.draw_id}.json`);
}

// ---- form helpers shared by the draw and matching pages ---------------------------------------------------------
/** showFormError, and also mark a nested field by its last segment (criteria.ratio → the ratio field). */
export function showErrors(form, box, error) {
  showFormError(form, box, error);
  const details = error && error.details;
  for (const d of Array.isArray(details) ? details : []) {
    const parts = String((d && d.field) || "").split(".");
    const wrap = parts.length > 1 ? form.querySelector(`[data-field="${CSS.escape(parts[1])}"]`) : null;
    if (!wrap) continue;
    wrap.classList.add("invalid");
    const slot = wrap.querySelector(".field-error");
    if (slot) slot.textContent = d.message;
    wrap.querySelectorAll("input, textarea, select").forEach((c) => c.setAttribute("aria-invalid", "true"));
  }
  if (!form.querySelector("[aria-invalid]")) box.focus();
}

/**
 * The visible confirmation step of an irreversible command: `start` reveals a form that says what will happen,
 * with the confirming button and 取消; `run(fail)` sends the command and calls fail(error) on a refusal, which
 * is shown inside the step.
 */
export function confirmStep({ startLabel, startClass = "primary", title, text, confirmLabel, run }) {
  const errors = formErrorBox();
  const titleId = uid("confirm");
  const start = h("button", { type: "button", class: startClass }, startLabel);
  const cancel = h("button", { type: "button", class: "secondary" }, "取消");
  const form = h("form", { class: "draw-confirm", novalidate: true, "aria-labelledby": title ? titleId : null },
    title ? h("h3", { id: titleId }, title) : null, h("p", {}, text), errors,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, confirmLabel), cancel));
  const show = (open, message = null) => {
    form.hidden = !open;
    start.hidden = open;
    if (message) replace(errors, message);
  };
  show(false);
  start.addEventListener("click", () => {
    show(true);
    form.querySelector('button[type="submit"]').focus();
  });
  cancel.addEventListener("click", () => {
    show(false);
    clearFormError(form, errors);
    start.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      await run((error) => showErrors(form, errors, error));
    });
  });
  return { start, form, show };
}

// ---- shared rendering ---------------------------------------------------------------------------------------
function row(label, ...value) {
  return [h("dt", {}, label), h("dd", {}, ...value)];
}

/** The criteria in words. */
export function criteriaText(criteria) {
  const c = criteria || {};
  const parts = [];
  if (c.subject_kinds && c.subject_kinds.length) {
    parts.push(["对象类型", c.subject_kinds.map((k) => SUBJECT_KINDS[k] || k).join("、")]);
  }
  if (c.region) parts.push(["区域", c.region]);
  if (c.industry) parts.push(["行业", c.industry]);
  if (c.risk_level) parts.push(["风险等级", RISK_LEVELS[c.risk_level] || c.risk_level]);
  if (c.credit_classes && c.credit_classes.length) parts.push(["信用等级", c.credit_classes.join("、")]);
  if (c.flags && c.flags.length) parts.push(["名单标记", c.flags.map((f) => SUBJECT_FLAGS[f] || f).join("、")]);
  if (c.tags && c.tags.length) parts.push(["标签", c.tags.join("、")]);
  if (c.exemption_override) {
    parts.push(["免检例外", `${EXEMPTION_OVERRIDES[c.exemption_override] || c.exemption_override}（免检对象不予替换）`]);
  }
  let size = "—";
  if (c.count !== undefined && c.count !== null) size = `抽取 ${c.count} 户`;
  else if (c.ratios_by_credit) {
    size = `按信用等级分层：${Object.entries(c.ratios_by_credit).map(([k, v]) => `${k} 类 ${v}%`).join("，")}`;
  } else if (c.ratio !== undefined && c.ratio !== null) size = `抽取比例 ${c.ratio}%`;
  parts.push(["抽取数量", size]);
  return parts;
}

export function criteriaList(criteria) {
  const parts = criteriaText(criteria);
  return h("dl", { class: "facts criteria-facts" }, parts.map(([k, v]) => row(k, v)),
    parts.length === 1 ? row("对象范围", "名录库中全部未注销的检查对象") : null);
}

function shortId(id) {
  return String(id).slice(0, 8);
}

/**
 * One drawn subject's overlap flags (R-DRAW-6): each other task that drew it, with this year's inspections and a
 * pending visit; `fusion(task)` may add a control to merge this task into that one (R-JOINT-8).
 */
export function flagsCell(entries, names, items, fusion) {
  if (!entries || !entries.length) return h("span", { class: "muted" }, "无");
  return h("ul", { class: "plain overlap-list" }, entries.map((t) => {
    const inspections = (t.inspections || []).map((i) =>
      `${names[i.department] || i.department}「${items[i.item] || i.item}」${date(i.inspected_on)}`);
    const visit = t.pending_visit;
    const visitText = visit
      ? `待检查：${visit.day ? date(visit.day) : "检查日未定"}${visit.day_state === "agreed" ? "（已确定）"
        : visit.day_state === "proposed" ? "（已提议）" : ""}，${(visit.departments || []).map((d) =>
        names[typeof d === "string" ? d : d.department] || (typeof d === "string" ? d : d.department)).join("、")}`
      : null;
    return h("li", { class: "overlap", "data-task": t.task_id },
      h("span", { class: "badge overlap-badge" }, visit ? "待检查" : inspections.length ? "今年已检查" : "已被抽取"),
      " ", h("a", { href: `#/tasks/${t.task_id}` }, `任务 ${shortId(t.task_id)}`),
      `（${names[t.lead_department] || t.lead_department}牵头，${TASK_STATUS[t.status] || t.status}）`,
      inspections.length ? h("div", { class: "overlap-detail" }, `今年已检查：${inspections.join("；")}`) : null,
      visitText ? h("div", { class: "overlap-detail" }, visitText) : null,
      fusion ? fusion(t) : null);
  }));
}

/** The drawn list: number, code, name, stratum count group, overlap flags. */
export function drawnTable(record, { names, items, subjects, fusion }) {
  const flags = record.flags || {};
  const rows = (record.drawn || []).map((code, i) => h("tr", { "data-code": code },
    h("td", { class: "num" }, String(i + 1)),
    h("td", { class: "mono code-cell" }, code),
    h("td", {}, subjects[code] || "—"),
    h("td", { class: "flags-cell" }, flagsCell(flags[code], names, items, fusion))));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 4, class: "empty" }, "未抽中检查对象。")));
  return h("div", { class: "table-scroll" }, h("table", { class: "grid drawn-table" },
    h("thead", {}, h("tr", {}, ["序号", "检查对象代码", "名称", "重叠提示（其他任务、今年检查、待检查）"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

/** The figures of an executed draw. */
export function drawSummary(record) {
  const flagged = Object.values(record.flags || {}).filter((l) => l && l.length).length;
  const counts = Object.entries(record.counts || {}).map(([s, n]) => (s === "*" ? `${n} 户` : `${s} 类 ${n} 户`));
  return h("ul", { class: "draw-figures" },
    h("li", {}, "候选 ", h("strong", {}, String(record.pool_size ?? "—")), " 户"),
    h("li", {}, "应抽 ", counts.join("，") || "—"),
    h("li", {}, "抽中 ", h("strong", { "data-figure": "drawn" }, String((record.drawn || []).length)), " 户"),
    h("li", {}, "免检替换 ", String((record.replaced || []).length), " 户"),
    h("li", {}, "有重叠提示 ", h("strong", { "data-figure": "flagged" }, String(flagged)), " 户"));
}

/** The randomness proof: algorithm, commitment, seed, fingerprint and size of the pool. */
export function proofList(record) {
  return h("dl", { class: "facts proof-facts" },
    row("算法", `${record.algorithm || "ji-sha256-rank"} 第 ${record.version || 1} 版`),
    row("承诺值", h("span", { class: "mono hash", "data-proof": "commitment" }, record.commitment)),
    row("随机种子", record.seed
      ? h("span", { class: "mono hash", "data-proof": "seed" }, record.seed)
      : h("span", { class: "muted" }, "执行抽取时公开")),
    row("候选名单指纹", record.pool_fingerprint
      ? h("span", { class: "mono hash", "data-proof": "fingerprint" }, record.pool_fingerprint) : "—"),
    row("候选数量", record.pool_size !== undefined ? `${record.pool_size} 户` : "—"),
    row("各层抽取数量", Object.keys(record.counts || {}).length
      ? Object.entries(record.counts).map(([s, n]) => (s === "*" ? `不分层 ${n} 户` : `${s} 类 ${n} 户`)).join("，")
      : "—"),
    row("免检对象", record.excused ? `${record.excused.length} 户（抽中即替换）` : "—"),
    row("数据截止位置", record.read_position !== null && record.read_position !== undefined
      ? String(record.read_position) : "—"));
}

// ---- the page -----------------------------------------------------------------------------------------------
export async function drawRecordView(ctx) {
  const drawId = ctx.arg;
  const record = await api("GET", `/draws/${drawId}`);
  const [task, names, items] = await Promise.all([
    api("GET", `/joint-tasks/${record.task_id}`), departmentNames(), itemNames()]);
  rememberDraw(record.task_id, drawId);
  const subjects = await subjectNames(record.drawn || []);
  if (!ctx.isCurrent()) return h("div");
  document.title = `抽取记录 - ${task.title}`;

  const verifyResult = h("div", { class: "verify-result", "aria-live": "polite" });
  const actionError = h("div", { class: "form-error no-print", role: "alert" });
  const actions = h("div", { class: "actions no-print record-actions" },
    h("button", { type: "button", class: "primary", onclick: () => window.print() }, "打印抽取记录"),
    record.status !== "committed" ? h("button", { type: "button", onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      replace(actionError);
      try {
        await downloadPool(drawId);
      } catch (error) {
        replace(actionError, messageOf(error));
      } finally {
        button.disabled = false;
      }
    } }, "下载候选名单") : null,
    h("button", { type: "button", onclick: () => downloadRecord(record) }, "下载抽取记录（JSON）"),
    record.status !== "committed" ? h("button", { type: "button", onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        const v = await api("GET", `/draws/${drawId}/verification`);
        replace(verifyResult, h("p", { class: v.match ? "check-ok" : "check-failed" },
          v.match ? "平台核验：一致（承诺值、候选名单指纹、抽取名单均可复现）。"
            : `平台核验：不一致（${[["承诺值", v.commitment_ok], ["候选名单指纹", v.fingerprint_ok],
              ["抽取名单", v.drawn_ok]].filter(([, ok]) => !ok).map(([n]) => n).join("、")}未通过）。`));
      } catch (error) {
        replace(verifyResult, h("p", { class: "check-failed" }, messageOf(error)));
      } finally {
        button.disabled = false;
      }
    } }, "平台核验") : null,
    record.status !== "committed"
      ? h("a", { class: "button", href: `#/public/verify-draw?draw=${drawId}` }, "在浏览器中独立核验") : null,
    h("a", { class: "button secondary", href: `#/tasks/${record.task_id}/draw` }, "返回抽取页面"));

  const witnesses = record.witnesses || [];
  return h("div", { class: "draw-record" },
    h("div", { class: "page-head" }, heading("抽取记录"), h("a", { href: `#/tasks/${record.task_id}`,
      class: "button secondary no-print" }, "返回任务详情")),
    actions, actionError, verifyResult,
    h("section", { class: "card", "aria-labelledby": "record-title" },
      h("h2", { id: "record-title" }, "抽取情况"),
      h("dl", { class: "facts" },
        row("联合任务", task.title),
        row("任务编号", taskNumber(task)),
        row("牵头部门", task.lead_department.name || task.lead_department.code),
        row("检查时间窗口", `${date(task.window_start)} 至 ${date(task.window_end)}`),
        row("状态", h("span", { class: `badge draw-${record.status}` }, DRAW_STATUS[record.status] || record.status)),
        row("登记人", record.committed_by || "—"),
        row("登记时间", dateTime(record.committed_at)),
        row("执行人", record.drawn_by || "—"),
        row("执行时间", record.drawn_at ? dateTime(record.drawn_at) : "—"),
        row("抽取编号", h("span", { class: "mono" }, record.draw_id)),
        row("任务标识", h("span", { class: "mono" }, record.task_id)),
        record.redraw_of ? row("重新抽取", h("span", {}, "替代抽取 ", h("a", { href: `#/draws/${record.redraw_of}`,
          class: "mono" }, record.redraw_of))) : null,
        record.redraw_of ? row("理由与批准人", `${record.reason || "—"}（批准人：${record.approver || "—"}）`) : null)),
    h("section", { class: "card", "aria-labelledby": "criteria-title" },
      h("h2", { id: "criteria-title" }, "抽取条件"), criteriaList(record.criteria)),
    h("section", { class: "card", "aria-labelledby": "proof-title" },
      h("h2", { id: "proof-title" }, "随机性证明"), proofList(record),
      h("p", { class: "hint" }, "核验方法：承诺值 = SHA-256（随机种子）；候选名单指纹 = SHA-256（候选名单文件）；"
        + "每户得分 = SHA-256（种子字节 ‖ 0x00 ‖ 代码），各层按得分从小到大依次抽取，免检对象跳过并替换。")),
    record.status === "committed" ? null : h("section", { class: "card", "aria-labelledby": "drawn-title" },
      h("h2", { id: "drawn-title" }, `抽取结果（${(record.drawn || []).length} 户）`),
      drawSummary(record),
      drawnTable(record, { names, items, subjects }),
      record.replaced && record.replaced.length
        ? h("p", { class: "replaced-line" }, "免检替换（抽中后因免检跳过）：",
          h("span", { class: "mono" }, record.replaced.join("、")))
        : null),
    h("section", { class: "card signatures", "aria-labelledby": "sign-title" },
      h("h2", { id: "sign-title" }, "见证人"),
      h("div", { class: "table-scroll" }, h("table", { class: "grid witness-table" },
        h("thead", {}, h("tr", {}, ["姓名", "身份", "签字"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, witnesses.map((w) => h("tr", {},
          h("td", {}, w.name), h("td", {}, WITNESS_ROLES[w.role] || w.role),
          h("td", { class: "sign-line" }, "见证人签字：______")))))),
      h("p", { class: "sign-line" }, "抽取人签字：______　　　日期：______")));
}
