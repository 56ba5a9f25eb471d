// 批量导入: upload a CSV or XLSX to the subject or inspector directory, follow its progress, then show the counts
// and the rejected rows (line and reason), which can be saved as a CSV made in the browser (R-SUBJ-1..4, R-INSP-1).
import { api, newKey, postFile } from "../api.js";
import { h, replace, uid } from "../dom.js";
import { busy, clearFormError, formErrorBox, showFormError } from "../ui.js";
import { allPages, downloadCsv, localError } from "./directory-common.js";

const KINDS = {
  subjects: {
    what: "检查对象",
    required: "统一社会信用代码（或身份证号、登记编号）、名称",
    template: ["统一社会信用代码", "对象类型", "名称", "住所", "法定代表人", "联系电话", "所属区域", "所属行业", "风险等级",
      "信用等级", "经营异常名录", "重点关注", "失信", "严重违法", "投诉次数", "免检", "注销吊销", "标签"],
    note: "对象类型填 企业、个人、机关事业单位、产品、项目 或 行为（空白时按代码判断）；是否类列填 是/否；风险等级填 低/中/高。",
  },
  inspectors: {
    what: "执法检查人员",
    required: "身份证号、姓名",
    template: ["身份证号", "姓名", "性别", "部门", "职务", "执法证号", "执法证有效期", "资质", "区域", "联系电话", "状态",
      "不可用截止"],
    note: "性别空白时按身份证号判断；部门空白时为本部门（联席办导入须逐行填写）；状态填 在岗 或 不可用（须填不可用截止日期）。",
  },
};
const PHASES = { queued: "排队等待", reading: "正在读取并校验", applying: "正在写入名录库", finishing: "正在完成",
  done: "已完成" };
const POLL_MS = 300;

/**
 * The import panel of a directory page: kind "subjects" or "inspectors"; isCurrent() stops following when the
 * clerk has left the page; onDone() after an import that changed the directory (to re-read the list).
 */
export function importPanel({ kind, isCurrent, onDone }) {
  const spec = KINDS[kind];
  const fileId = uid("import-file");
  const partialId = uid("allow-partial");
  const file = h("input", { type: "file", id: fileId, name: "file", accept: ".csv,.xlsx,text/csv",
    "aria-describedby": `${fileId}-hint ${fileId}-error` });
  const partial = h("input", { type: "checkbox", id: partialId, name: "allow_partial" });
  const errors = formErrorBox();
  // live regions without role="status": the page's own notice stays the one status region
  const status = h("div", { class: "import-status", "aria-live": "polite" });
  const result = h("div", { class: "import-result", "aria-live": "polite" });
  const form = h("form", { class: "import-form", novalidate: true, "aria-label": `导入${spec.what}` },
    errors,
    h("div", { class: "field", "data-field": "file" },
      h("label", { for: fileId }, "选择文件", h("span", { class: "req", "aria-hidden": "true" }, " *")), file,
      h("p", { class: "hint", id: `${fileId}-hint` }, "CSV（UTF-8 或 GB18030 编码）或 XLSX（读取第一个工作表），首行为列名。"),
      h("p", { class: "field-error", id: `${fileId}-error` })),
    h("div", { class: "field check", "data-field": "allow_partial" }, partial,
      h("label", { for: partialId }, "只导入通过校验的行（不勾选时，任一行被拒则整个文件不导入）")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "上传并导入")));
  let key = null;
  let signature = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      replace(result);
      const chosen = file.files[0];
      try {
        if (!chosen) throw localError("file", "请选择要导入的 CSV 或 XLSX 文件。");
        // the very same upload sent again (a retry after a network failure) reuses its Idempotency-Key
        const sig = `${chosen.name}|${chosen.size}|${chosen.lastModified}|${partial.checked}`;
        if (sig !== signature) [signature, key] = [sig, newKey()];
        const started = await postFile(`/${kind}/imports`, chosen, key,
          { allow_partial: partial.checked ? "true" : "false" });
        [signature, key] = [null, null];
        await follow(started.id);
      } catch (error) {
        replace(status);
        showFormError(form, errors, error);
        if (!form.querySelector("[aria-invalid]")) errors.focus();
      }
    });
  });

  async function follow(importId) {
    for (;;) {
      const view = await api("GET", `/imports/${importId}`);
      if (!isCurrent() || !form.isConnected) return;
      showProgress(status, view);
      if (view.status !== "running") {
        replace(result, outcome(view, spec));
        if (view.status === "succeeded" && view.rows_created + view.rows_updated > 0) onDone();
        return;
      }
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    }
  }

  return h("details", { class: "card import-panel" },
    h("summary", {}, `批量导入${spec.what}（CSV / XLSX）`),
    h("p", {}, `必填列：${spec.required}。${spec.note}同一代码再次导入时更新原记录，文件中没有的列保持不变。`),
    h("p", {}, h("button", { type: "button", class: "secondary",
      onclick: () => downloadCsv(`${spec.what}导入模板.csv`, [spec.template]) }, "下载导入模板")),
    form, status, result);
}

function showProgress(status, view) {
  const percent = Math.round(view.percent);
  replace(status,
    h("progress", { max: 100, value: percent, "aria-label": "导入进度" }),
    h("span", { class: "import-phase" }, `${PHASES[view.phase] || view.phase} ${percent}%`),
    view.rows_total ? h("span", { class: "muted" },
      `已读取 ${view.rows_total} 行：通过 ${view.rows_ok} 行，被拒 ${view.rows_rejected} 行`) : null);
}

function outcome(view, spec) {
  const ok = view.status === "succeeded";
  const rejected = view.rows_rejected ? `，被拒 ${view.rows_rejected} 行（未导入）` : "";
  const summary = ok
    ? `导入完成：“${view.filename}”共 ${view.rows_total} 行，新增 ${view.rows_created} 行，更新 ${view.rows_updated} 行，`
      + `未变化 ${view.rows_unchanged} 行${rejected}。`
    : `导入未生效，${spec.what}名录未作任何改动：${view.error || "导入失败"}`;
  return [
    h("p", { class: `import-summary ${ok ? "ok" : "failed"}` }, summary),
    view.ignored_columns.length ? h("p", { class: "muted" }, `以下列未识别，已忽略：${view.ignored_columns.join("、")}`)
      : null,
    view.rows_rejected ? rejectedRows(view) : null,
  ];
}

function rejectedRows(view) {
  const titleId = uid("rejected");
  const download = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const rows = view.rows_rejected > view.rejected.length
        ? await allPages(`/imports/${view.id}/rejections`) : view.rejected;
      const base = view.filename.replace(/\.[^.]*$/, "");
      downloadCsv(`被拒行-${base}.csv`, [["行号", "代码", "原因"], ...rows.map((r) => [r.line, r.key, r.reason])]);
    } catch (error) {
      replace(button.parentElement.querySelector(".download-error"), error.message);
    } finally {
      button.disabled = false;
    }
  };
  return h("section", { class: "rejected-rows", "aria-labelledby": titleId },
    h("h3", { id: titleId }, `被拒绝的行（${view.rows_rejected} 行）`),
    h("p", {}, h("button", { type: "button", class: "secondary", onclick: download }, "下载被拒行（CSV）"),
      view.rows_rejected > view.rejected.length
        ? h("span", { class: "muted" }, ` 下表列出前 ${view.rejected.length} 行，下载可得全部 ${view.rows_rejected} 行。`)
        : null,
      h("span", { class: "field-error download-error", role: "alert" })),
    h("div", { class: "table-scroll" }, h("table", { class: "grid rejected-table" },
      h("thead", {}, h("tr", {}, ["行号", "代码", "原因"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, view.rejected.map((r) => h("tr", { "data-line": r.line },
        h("td", { class: "num" }, String(r.line)), h("td", { class: "mono" }, r.key || "—"),
        h("td", {}, r.reason)))))));
}
