// 抽取结果核验 (#/public/verify-draw, no login): anyone pastes or uploads a draw record (the JSON of GET /draws/{id})
// and its pool list (`code<TAB>stratum` lines) and the page recomputes the draw in this browser with the published
// algorithm (../drawcheck.js, a port of domain/draw.py): match, or which check failed (R-DRAW-5). Nothing is sent.
import { api, session } from "../api.js";
import { field, h, replace } from "../dom.js";
import { ALGORITHM, VERSION, verify } from "../drawcheck.js";
import { busy, clearFormError, formErrorBox, heading, messageOf } from "../ui.js";
import { fetchPool, isDrawId } from "./draw-record.js";

/** Read an uploaded file as UTF-8 exactly as the offline tool does (invalid UTF-8 refused, a BOM kept). */
async function readText(file, { keepBom }) {
  const bytes = await file.arrayBuffer();
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: keepBom }).decode(bytes);
}

function uploadButton(label, target, { keepBom, accept }) {
  const input = h("input", { type: "file", accept, class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
  const status = h("span", { class: "hint upload-status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary", onclick: () => input.click() }, label);
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    try {
      target.value = await readText(file, { keepBom });
      replace(status, `已载入 ${file.name}（${file.size} 字节）`);
    } catch {
      replace(status, `无法读取 ${file.name}：文件须为 UTF-8 编码的文本。`);
    }
    input.value = "";
  });
  target.addEventListener("input", () => replace(status)); // edited by hand: no longer the file as loaded
  return h("div", { class: "upload" }, button, input, status);
}

export async function verifyDrawView(ctx) {
  const record = field({ label: "抽取记录（JSON）", name: "record", type: "textarea", required: true,
    hint: "抽取记录页“下载抽取记录（JSON）”所得文件的内容，即接口 GET /api/v1/draws/{编号} 的返回。",
    attrs: { rows: 8, spellcheck: "false", class: "mono" } });
  const pool = field({ label: "候选名单", name: "pool", type: "textarea", required: true,
    hint: "抽取记录页“下载候选名单”所得文件（pool-….tsv）的内容：每行“代码<TAB>层”。",
    attrs: { rows: 8, spellcheck: "false", class: "mono", wrap: "off" } });
  record.input.dataset.autofocus = "1";
  const errors = formErrorBox();
  const result = h("section", { class: "card verify-result-card", "aria-labelledby": "verdict-title", hidden: true });

  const loader = platformLoader(ctx, record.input, pool.input); // public draws for anyone, the department's own when logged in
  const form = h("form", { class: "action verify-form", novalidate: true, "aria-label": "抽取结果核验" },
    errors, loader,
    record.wrap, uploadButton("上传抽取记录文件", record.input, { keepBom: false, accept: ".json,application/json" }),
    pool.wrap, uploadButton("上传候选名单文件", pool.input, { keepBom: true, accept: ".tsv,.txt,text/plain" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "核验")));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      result.hidden = true;
      let parsed;
      try {
        parsed = JSON.parse(record.input.value);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      } catch {
        markInvalid(form, errors, "record", "抽取记录不是有效的 JSON 对象，请粘贴接口返回的完整内容。");
        return;
      }
      let outcome;
      try {
        outcome = await verify(parsed, pool.input.value);
      } catch (error) {
        markInvalid(form, errors, error.line ? "pool" : "record", messageOf(error));
        return;
      }
      replace(result, ...report(parsed, outcome, pool.input.value));
      result.hidden = false;
      result.querySelector("h2").focus();
    });
  });

  return h("div", { class: "verify-page" },
    heading("抽取结果核验"),
    h("p", { class: "lead" }, "无需登录。将一次抽取的抽取记录和候选名单粘贴或上传到下面，本页在您的浏览器中按公开的抽取算法"
      + `（${ALGORITHM} 第 ${VERSION} 版）重新计算，核对承诺值、候选名单指纹和抽取名单是否一致；数据不会发送到服务器。`),
    h("section", { class: "card" }, form),
    result,
    h("section", { class: "card method-card", "aria-labelledby": "method-title" },
      h("h2", { id: "method-title" }, "核验方法"),
      h("ol", { class: "method" },
        h("li", {}, "承诺值：随机种子（64 位十六进制字符）的 SHA-256，须与抽取前登记的承诺值相同。"),
        h("li", {}, "候选名单指纹：每行“代码<TAB>层”，按代码排序，以换行结尾，UTF-8 编码后的 SHA-256。"),
        h("li", {}, "得分：SHA-256（种子字节 ‖ 0x00 ‖ 代码的 UTF-8 字节）；各层按（得分，代码）从小到大排列。"),
        h("li", {}, "抽取：各层按层名顺序，自排名首位起依次抽取；免检对象跳过并记为替换，直至达到该层抽取数量。"))));
}

/** Logged in: fetch a draw's record and pool from the platform into the two boxes (still checked locally). */
function platformLoader(ctx, recordBox, poolBox) {
  const id = field({ label: "抽取编号", name: "draw_id", hint: "已登录时可直接从平台载入本部门可查看的抽取记录和候选名单。",
    attrs: { value: isDrawId(ctx.params.get("draw")) ? ctx.params.get("draw") : "", maxlength: 36,
      autocomplete: "off", class: "mono" } });
  const status = h("p", { class: "hint loader-status", "aria-live": "polite" });
  const button = h("button", { type: "button", onclick: async () => {
    const drawId = id.input.value.trim();
    if (!isDrawId(drawId)) {
      replace(status, "请填写完整的抽取编号。");
      return;
    }
    button.disabled = true;
    replace(status, "正在载入…");
    try {
      // Logged in: the department's own record; anyone else: the public record, once the draw is public
      const [recordJson, poolBlob] = session.get()
        ? await Promise.all([api("GET", `/draws/${drawId}`), fetchPool(drawId)])
        : await Promise.all([api("GET", `/public/draws/${drawId}`, { anonymous: true }), fetchPool(drawId, true)]);
      recordBox.value = JSON.stringify(recordJson, null, 2);
      poolBox.value = await poolBlob.text();
      replace(status, "已从平台载入，请点击“核验”在本机重新计算。");
    } catch (error) {
      replace(status, messageOf(error));
    } finally {
      button.disabled = false;
    }
  } }, "从平台载入");
  if (id.input.value) window.setTimeout(() => button.click(), 0); // linked from a draw record: load it at once
  return h("fieldset", { class: "field loader" }, h("legend", {}, "从平台载入（可选）"),
    h("div", { class: "loader-row" }, id.wrap, button), status);
}

function markInvalid(form, box, name, message) {
  replace(box, message);
  const wrap = form.querySelector(`[data-field="${name}"]`);
  if (wrap) {
    wrap.classList.add("invalid");
    wrap.querySelector(".field-error").textContent = message;
    wrap.querySelector("textarea").setAttribute("aria-invalid", "true");
    wrap.querySelector("textarea").focus();
  }
}

function verdictBadge(ok) {
  if (ok === null) return h("span", { class: "badge muted" }, "无法判断");
  return h("span", { class: `badge ${ok ? "check-ok" : "check-failed"}` }, ok ? "一致" : "不一致");
}

function listDifference(expected, computed) {
  const want = Array.isArray(expected) ? expected : [];
  const missing = want.filter((c) => !computed.includes(c));
  const extra = computed.filter((c) => !want.includes(c));
  const lines = [];
  if (missing.length) lines.push(`记录中有、重新计算没有：${missing.join("、")}`);
  if (extra.length) lines.push(`重新计算有、记录中没有：${extra.join("、")}`);
  if (!missing.length && !extra.length && want.join() !== computed.join()) lines.push("名单相同但顺序不同。");
  return lines;
}

function report(record, outcome, poolTextValue) {
  const c = outcome.computed;
  const failed = [["承诺值", outcome.commitment_ok], ["候选名单指纹", outcome.fingerprint_ok],
    ["抽取名单", outcome.drawn_ok]].filter(([, ok]) => !ok).map(([n]) => n);
  const verdict = outcome.match
    ? "核验一致：承诺值、候选名单指纹和抽取名单均可由公开的记录和候选名单复现。"
    : outcome.knownAlgorithm
      ? `核验不一致：${failed.join("、")}未通过。`
      : `核验不一致：本页只能核验 ${ALGORITHM} 第 ${VERSION} 版算法的抽取（记录中为 ${record.algorithm || "未注明"}）。`;
  const checkRow = (key, label, recorded, computed, ok) => h("tr", { "data-check": key, "data-ok": String(ok) },
    h("th", { scope: "row" }, label),
    h("td", { class: "mono hash" }, recorded ?? "—"),
    h("td", { class: "mono hash" }, computed ?? "—"),
    h("td", {}, verdictBadge(ok)));
  const drawnText = (list, replacedList) => `${(list || []).length} 户${replacedList && replacedList.length
    ? `，免检替换 ${replacedList.length} 户` : ""}`;
  const countsText = (counts) => (counts ? Object.entries(counts).map(([s, n]) => (s === "*" ? `${n} 户` : `${s} 类 ${n} 户`))
    .join("，") : null);
  const rows = c ? [
    checkRow("commitment", "承诺值 = SHA-256（随机种子）", record.commitment, c.commitment, outcome.commitment_ok),
    checkRow("fingerprint", "候选名单指纹", record.pool_fingerprint, c.fingerprint, outcome.fingerprint_ok),
    checkRow("drawn", "抽取名单（含免检替换）", drawnText(record.drawn, record.replaced), drawnText(c.drawn, c.replaced),
      outcome.drawn_ok),
    checkRow("counts", "附加：各层抽取数量符合抽取条件", countsText(record.counts), countsText(c.counts), outcome.counts_ok),
  ] : [checkRow("algorithm", "算法", `${record.algorithm || "—"} 第 ${record.version ?? "—"} 版`,
    `${ALGORITHM} 第 ${VERSION} 版`, false)];
  const notes = [];
  if (c && !outcome.drawn_ok) {
    notes.push(...listDifference(record.drawn, c.drawn));
    if (JSON.stringify(record.replaced || []) !== JSON.stringify(c.replaced)) {
      notes.push(`免检替换：记录为 ${(record.replaced || []).join("、") || "无"}，重新计算为 ${c.replaced.join("、") || "无"}。`);
    }
  }
  if (record.pool_size !== undefined && record.pool_size !== outcome.poolSize) {
    notes.push(`候选名单共 ${outcome.poolSize} 户，抽取记录中为 ${record.pool_size} 户。`);
  }
  if (!outcome.fingerprint_ok && poolTextValue.startsWith("\ufeff")) {
    notes.push("候选名单文件以字节顺序标记（BOM）开头，可能被编辑器改动过；请使用从平台下载的原始文件。");
  }
  return [
    h("h2", { id: "verdict-title", tabindex: "-1", class: `verdict ${outcome.match ? "check-ok" : "check-failed"}`,
      "data-match": String(outcome.match) }, verdict),
    h("div", { class: "table-scroll" }, h("table", { class: "grid checks-table" },
      h("thead", {}, h("tr", {}, ["核验项", "抽取记录", "本机重新计算", "结论"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))),
    notes.length ? h("ul", { class: "plain verify-notes" }, notes.map((n) => h("li", {}, n))) : null,
    c ? h("details", { class: "recomputed" }, h("summary", {}, `重新计算的抽取名单（${c.drawn.length} 户）`),
      h("ol", { class: "mono drawn-recomputed" }, c.drawn.map((code) => h("li", {}, code)))) : null,
  ];
}
