// 抽取检查对象 (#/tasks/{id}/draw): the lead department commits a draw — pool filters, a count, one ratio or a ratio
// per credit class, the witnesses, and for a redraw the draw it replaces with a reason and an approver — then
// executes it after a visible confirmation; the result lists each drawn subject with its overlap flags and a way to
// merge with the other task (R-JOINT-6, R-JOINT-8, R-DRAW-1..6).
import { api, commandSender, session } from "../api.js";
import { departmentNames } from "../data.js";
import { field, h, replace, uid } from "../dom.js";
import { subscribe } from "../live.js";
import { date, dateTime, taskNumber } from "../format.js";
import { navigate, replaceQuery } from "../router.js";
import {
  busy, changedElsewhereBar, clearFormError, flash, formErrorBox, heading, reloadAfterCommand, showAlert, statusBadge,
} from "../ui.js";
import {
  CREDIT_CLASSES, DRAW_STATUS, EXEMPTION_OVERRIDES, RISK_LEVELS, SUBJECT_FLAGS, SUBJECT_KINDS, WITNESS_ROLES,
  confirmStep, criteriaList, downloadPool, drawSummary, drawnTable, itemNames, loadDraws, proofList, rememberDraw,
  showErrors, subjectNames,
} from "./draw-record.js";

const LIVE = ["awaiting_responses", "responded", "day_proposed", "day_agreed"];

export async function drawView(ctx) {
  const taskId = ctx.arg;
  const params = new URLSearchParams(ctx.params);
  const root = h("div", { class: "draw-page" });
  const names = await departmentNames();

  /** Read the task and the draws known for it, then draw the page; `pending` puts a message beside a form. */
  async function load(pending = null) {
    const task = await api("GET", `/joint-tasks/${taskId}`);
    const [records, items] = await Promise.all([loadDraws(task, params), itemNames()]);
    const current = records.find((r) => r.status === "drawn") || null;
    const open = records.find((r) => r.status === "committed") || null;
    const subjects = current ? await subjectNames(current.drawn || []) : {};
    if (!ctx.isCurrent()) return;
    document.title = `抽取检查对象 - ${task.title}`;
    replace(root, ...page({ task, records, current, open, names, items, subjects, pending, done }));
  }

  /** After a command: remember the draw, keep it in the address, re-read, say what happened. */
  async function done(message, drawId = null, pending = null) {
    if (drawId) {
      rememberDraw(taskId, drawId);
      params.set("draw", drawId);
      if (ctx.isCurrent()) replaceQuery(`/tasks/${taskId}/draw`, params);
    }
    await reloadAfterCommand(ctx, root, () => load(pending), message);
  }

  await load();
  return h("div", {}, changedElsewhereBar(taskId, () => load().catch(showAlert), subscribe), root);
}

function page({ task, records, current, open, names, items, subjects, pending, done }) {
  const me = session.get();
  const lead = task.lead_department.code === me.department_code;
  const office = (me.roles || []).includes("office");
  const live = LIVE.includes(task.status);
  // A new commitment replaces the current draw, or an open commitment that cannot be executed (too few
  // subjects): either way it names it, with a reason and an approver (R-DRAW-5).
  const canCommit = lead && live && ((task.actions || []).includes("draw") || !current);
  const sections = [
    h("div", { class: "page-head" },
      heading("抽取检查对象"),
      h("a", { href: `#/tasks/${task.id}`, class: "button secondary" }, "返回任务详情")),
    h("section", { class: "card", "aria-labelledby": "draw-task-title" },
      h("h2", { id: "draw-task-title" }, task.title),
      h("dl", { class: "facts" },
        h("dt", {}, "任务编号"), h("dd", {}, taskNumber(task)),
        h("dt", {}, "牵头部门"), h("dd", {}, task.lead_department.name || task.lead_department.code),
        h("dt", {}, "状态"), h("dd", {}, statusBadge(task.status)),
        h("dt", {}, "检查时间窗口"), h("dd", {}, `${date(task.window_start)} 至 ${date(task.window_end)}`),
        h("dt", {}, "联合检查日"), h("dd", {}, task.agreed_day ? date(task.agreed_day) : "未确定"))),
  ];
  if (!lead) {
    sections.push(h("p", { class: "muted no-actions" }, "只有牵头部门可以抽取检查对象；本部门可查看抽取结果和抽取记录。"));
  }
  if (open && lead && live) sections.push(executeCard(task, open, pending, done));
  if (current) {
    sections.push(resultCard(task, current, { names, items, subjects, office, canMerge: (lead || office) && live }));
  }
  if (canCommit) sections.push(commitCard(task, open || current, pending, done));
  sections.push(historyCard(records));
  return sections;
}

// ---- 1. commit: criteria, witnesses, redraw -------------------------------------------------------------------
function checkGroup(name, legend, options, hint) {
  return h("fieldset", { class: "field", "data-field": name },
    h("legend", {}, legend),
    h("div", { class: "check-row" }, Object.entries(options).map(([value, label]) => {
      const id = uid(name);
      return h("span", { class: "check" },
        h("input", { type: "checkbox", id, name, value }), h("label", { for: id }, label));
    })),
    hint ? h("p", { class: "hint" }, hint) : null,
    h("p", { class: "field-error" }));
}

function selectField(label, name, options, hint) {
  return field({ label, name, hint, control: h("select", { name },
    h("option", { value: "" }, "不限"),
    Object.entries(options).map(([value, text]) => h("option", { value }, text))) });
}

function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((c) => c.value);
}

function witnessRows() {
  const list = h("div", { class: "witness-rows" });
  const renumber = () => {
    [...list.children].forEach((row, i) => {
      row.querySelector(".witness-name").setAttribute("aria-label", `见证人${i + 1}姓名`);
      row.querySelector(".witness-role").setAttribute("aria-label", `见证人${i + 1}身份`);
      row.querySelector(".witness-remove").setAttribute("aria-label", `删除见证人${i + 1}`);
      row.querySelector(".witness-remove").hidden = list.children.length < 2;
    });
  };
  const add = (role = "staff") => {
    const row = h("div", { class: "witness-row" },
      h("input", { type: "text", class: "witness-name", maxlength: 50, autocomplete: "off", placeholder: "姓名" }),
      h("select", { class: "witness-role" }, Object.entries(WITNESS_ROLES).map(([value, label]) =>
        h("option", { value, selected: value === role }, label))),
      h("button", { type: "button", class: "witness-remove secondary", onclick: () => {
        row.remove();
        renumber();
      } }, "删除"));
    list.append(row);
    renumber();
    return row;
  };
  add("staff");
  add("public_representative");
  const set = h("fieldset", { class: "field", "data-field": "witnesses" },
    h("legend", {}, "见证人", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    h("p", { class: "hint" }, "抽取须有见证人在场并在抽取记录上签字（全程留痕）。"),
    list,
    h("button", { type: "button", class: "secondary", onclick: () => add("staff").querySelector("input").focus() },
      "添加见证人"),
    h("p", { class: "field-error" }));
  const value = () => [...list.children].map((row) => ({
    name: row.querySelector(".witness-name").value.trim(), role: row.querySelector(".witness-role").value,
  })).filter((w) => w.name);
  return { set, value };
}

function sizeFields() {
  const group = uid("size-mode");
  const radio = (value, label, checked) => {
    const id = uid(`size-${value}`);
    return h("span", { class: "check" },
      h("input", { type: "radio", id, name: group, value, checked }), h("label", { for: id }, label));
  };
  const count = field({ label: "抽取户数", name: "count", type: "number", attrs: { min: 1, step: 1, value: "" } });
  const ratio = field({ label: "抽取比例（%）", name: "ratio", hint: "按候选户数乘以比例向上取整。",
    attrs: { inputmode: "decimal", maxlength: 12, autocomplete: "off" } });
  const perClass = CREDIT_CLASSES.map((cls) => field({ label: `${cls} 类比例（%）`, name: `ratio_${cls}`,
    attrs: { inputmode: "decimal", maxlength: 12, autocomplete: "off" } }));
  const credit = h("div", { class: "field-row", "data-field": "ratios_by_credit" },
    perClass.map((f) => f.wrap), h("p", { class: "hint wide-hint" },
      "按信用等级分层抽取（R-DRAW-3）：只抽填写了比例的等级，未评级的对象不在任何一层。"),
    h("p", { class: "field-error" }));
  const set = h("fieldset", { class: "field size-set", "data-field": "criteria" },
    h("legend", {}, "抽取数量", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    h("div", { class: "check-row" }, radio("count", "按户数", true), radio("ratio", "按比例", false),
      radio("ratios_by_credit", "按信用等级分层比例", false)),
    count.wrap, ratio.wrap, credit,
    h("p", { class: "field-error" }));
  const mode = () => set.querySelector(`input[name="${group}"]:checked`).value;
  const sync = () => {
    count.wrap.hidden = mode() !== "count";
    ratio.wrap.hidden = mode() !== "ratio";
    credit.hidden = mode() !== "ratios_by_credit";
  };
  set.addEventListener("change", (event) => { if (event.target.name === group) sync(); });
  sync();
  const value = () => {
    if (mode() === "count") {
      const text = count.input.value.trim();
      return { count: text === "" ? null : Number(text) };
    }
    if (mode() === "ratio") return { ratio: ratio.input.value.trim() || null };
    const ratios = {};
    CREDIT_CLASSES.forEach((cls, i) => {
      const text = perClass[i].input.value.trim();
      if (text) ratios[cls] = text;
    });
    return { ratios_by_credit: Object.keys(ratios).length ? ratios : null };
  };
  return { set, value };
}

function commitCard(task, current, pending, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const kinds = checkGroup("subject_kinds", "对象类型", SUBJECT_KINDS, "不选则不限类型。");
  const region = field({ label: "区域", name: "region", attrs: { maxlength: 100, autocomplete: "off" } });
  const industry = field({ label: "行业", name: "industry", attrs: { maxlength: 100, autocomplete: "off" } });
  const risk = selectField("风险等级", "risk_level", RISK_LEVELS);
  const credit = checkGroup("credit_classes", "信用等级", Object.fromEntries(CREDIT_CLASSES.map((c) => [c, `${c} 类`])),
    "不选则不限信用等级。");
  const flags = checkGroup("flags", "名单标记", SUBJECT_FLAGS, "勾选多项时，须同时具备所选标记。");
  const tags = field({ label: "标签", name: "tags", hint: "多个标签以逗号或顿号分隔，须全部具备（按标签圈定子名录）。",
    attrs: { maxlength: 400, autocomplete: "off" } });
  const override = selectField("免检例外", "exemption_override", EXEMPTION_OVERRIDES,
    "属于安全生产、生态环境、投诉举报或上级交办的，免检对象也须检查，不予替换（R-DRAW-4）。");
  override.input.querySelector('option[value=""]').textContent = "无（抽中免检对象时替换）";
  const size = sizeFields();
  const witnesses = witnessRows();

  const redrawOf = field({ label: "被替代的抽取", name: "redraw_of", required: true,
    attrs: { readonly: true, class: "mono", value: current ? current.draw_id : "" } });
  const reason = field({ label: "重新抽取理由", name: "reason", type: "textarea", required: true,
    attrs: { maxlength: 1000 } });
  const approver = field({ label: "批准人", name: "approver", required: true,
    hint: "须由经办人以外的负责人批准。", attrs: { maxlength: 50, autocomplete: "off" } });
  const replacedLink = h("a", { href: current ? `#/draws/${current.draw_id}` : "#", class: "replaced-link" },
    "查看被替代的抽取记录");
  const redraw = h("fieldset", { class: "field redraw-set" },
    h("legend", {}, "重新抽取"),
    h("p", { class: "hint" }, "本任务已抽取检查对象。重新抽取须注明被替代的抽取、理由和批准人，两次抽取均留存可查。"),
    redrawOf.wrap, h("p", {}, replacedLink), reason.wrap, approver.wrap);
  redraw.hidden = !current;

  const form = h("form", { class: "action draw-form", novalidate: true, "aria-labelledby": "commit-title" },
    errors,
    h("fieldset", { class: "field pool-set" }, h("legend", {}, "检查对象范围（候选名单）"),
      kinds, h("div", { class: "field-row" }, region.wrap, industry.wrap, risk.wrap), credit, flags,
      h("div", { class: "field-row" }, tags.wrap, override.wrap)),
    size.set, witnesses.set, redraw,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "登记抽取条件（生成承诺值）")));
  if (pending && pending.form === "commit") replace(errors, pending.message);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const criteria = { ...size.value() };
      const chosenKinds = checkedValues(form, "subject_kinds");
      if (chosenKinds.length) criteria.subject_kinds = chosenKinds;
      if (region.input.value.trim()) criteria.region = region.input.value.trim();
      if (industry.input.value.trim()) criteria.industry = industry.input.value.trim();
      if (risk.input.value) criteria.risk_level = risk.input.value;
      const classes = checkedValues(form, "credit_classes");
      if (classes.length) criteria.credit_classes = classes;
      criteria.flags = checkedValues(form, "flags");
      criteria.tags = tags.input.value.split(/[,，、;；\s]+/).map((t) => t.trim()).filter(Boolean);
      if (override.input.value) criteria.exemption_override = override.input.value;
      const body = { criteria, witnesses: witnesses.value() };
      if (!redraw.hidden) {
        Object.assign(body, { redraw_of: redrawOf.input.value || null, reason: reason.input.value.trim(),
          approver: approver.input.value.trim() });
      }
      let result;
      try {
        result = await send("POST", `/joint-tasks/${task.id}/draws`, body);
      } catch (error) {
        const details = (error && error.details) || {};
        if (error.status === 409 && details.draw_id) { // an earlier commitment still waits to be executed
          await done("", details.draw_id, { form: "execute", message: error.message });
          return;
        }
        if (error.status === 409 && details.current_draw) { // drawn already (elsewhere): this is a redraw
          rememberDraw(task.id, details.current_draw);
          redrawOf.input.value = details.current_draw;
          replacedLink.href = `#/draws/${details.current_draw}`;
          redraw.hidden = false;
        }
        showErrors(form, errors, error);
        if (!redraw.hidden && error.status === 409) reason.input.focus();
        return;
      }
      await done(`已登记抽取条件，承诺值 ${result.commitment.slice(0, 16)}…；请在见证人在场时执行抽取。`,
        result.draw_id);
    });
  });

  const title = current ? "重新抽取" : "登记抽取条件";
  const body = [h("p", { class: "lead" }, "先登记抽取条件和见证人：平台生成保密的随机种子，只公开其承诺值（SHA-256）；"
    + "执行抽取时才固定候选名单并公开种子，任何人都可据此复核（R-DRAW-5）。"), form];
  return h("section", { class: "card actions-card commit-card", "aria-labelledby": "commit-title" },
    current
      ? h("details", { open: Boolean(pending && pending.form === "commit") || null },
        h("summary", { id: "commit-title" }, `${title}…`), body)
      : [h("h2", { id: "commit-title" }, title), body]);
}

// ---- 2. execute, after a visible confirmation ---------------------------------------------------------------
function executeCard(task, open, pending, done) {
  const send = commandSender();
  const step = confirmStep({
    startLabel: "执行抽取…", title: "确认执行抽取", confirmLabel: "确认执行抽取",
    text: "执行后将按登记的条件固定候选名单、公开随机种子并生成抽取结果。结果不可撤销；如需重新抽取，须注明理由并经批准，"
      + "两次抽取均留存可查。请确认见证人均已到场。",
    run: async (fail) => {
      let result;
      try {
        result = await send("POST", `/joint-tasks/${task.id}/draws/${open.draw_id}/execution`);
      } catch (error) {
        fail(error);
        return;
      }
      const capped = result.left_out_for_yearly_cap ? `，${result.left_out_for_yearly_cap} 户因年度抽查次数上限未入候选` : "";
      await done(`已抽取 ${result.drawn_count} 户（候选 ${result.pool_size} 户${capped}）。`, open.draw_id);
    },
  });
  if (pending && pending.form === "execute") step.show(true, pending.message);
  return h("section", { class: "card actions-card execute-card", "aria-labelledby": "execute-title" },
    h("h2", { id: "execute-title", tabindex: "-1", "data-focus-after": "1" }, "执行抽取"),
    h("p", {}, `已于 ${dateTime(open.committed_at)} 登记抽取条件，等待执行。`),
    proofList(open),
    h("h3", {}, "抽取条件"), criteriaList(open.criteria),
    h("p", {}, "见证人：", (open.witnesses || []).map((w) => `${w.name}（${WITNESS_ROLES[w.role] || w.role}）`).join("、")),
    h("div", { class: "actions" }, step.start), step.form);
}

// ---- 3. the result, with overlap flags and fusion (R-DRAW-6, R-JOINT-8) ---------------------------------------
function resultCard(task, record, { names, items, subjects, office, canMerge }) {
  const fusion = canMerge ? (other) => fusionControl(task, other) : null;
  const downloadError = h("div", { class: "form-error", role: "alert" });
  return h("section", { class: "card result-card", "aria-labelledby": "result-title" },
    h("h2", { id: "result-title", tabindex: "-1", "data-focus-after": "1" }, "抽取结果"),
    h("p", {}, `执行时间 ${dateTime(record.drawn_at)}，执行人 ${record.drawn_by || "—"}。`),
    drawSummary(record),
    h("div", { class: "actions" },
      h("a", { class: "button primary", href: `#/draws/${record.draw_id}` }, "查看抽取记录（可打印）"),
      h("button", { type: "button", onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        replace(downloadError);
        try {
          await downloadPool(record.draw_id);
        } catch (error) {
          replace(downloadError, error.message);
        } finally {
          button.disabled = false;
        }
      } }, "下载候选名单"),
      h("a", { class: "button", href: `#/tasks/${task.id}/matching?draw=${record.draw_id}` }, "匹配检查人员"),
      office ? h("a", { class: "button", href: "#/oversight/fusion-suggestions" }, "融合建议") : null),
    downloadError,
    drawnTable(record, { names, items, subjects, fusion }),
    record.replaced && record.replaced.length
      ? h("p", {}, "免检替换：", h("span", { class: "mono" }, record.replaced.join("、"))) : null);
}

function fusionControl(task, other) {
  if (other.task_id === task.id || !LIVE.includes(other.status)) return null;
  const send = commandSender();
  const step = confirmStep({
    startLabel: "并入该任务…", startClass: "link-button", confirmLabel: "确认并入",
    text: `将本任务并入任务 ${String(other.task_id).slice(0, 8)}，同一检查对象一次联合检查（R-JOINT-8）。`
      + "并入后本任务不再单独办理，不可撤销。须由两个任务共同的牵头部门或联席会议办公室办理。",
    run: async (fail) => {
      try {
        await send("POST", `/joint-tasks/${task.id}/merge`, { into_task_id: other.task_id });
      } catch (error) {
        fail(error);
        return;
      }
      flash("已将本任务并入该任务。");
      navigate(`#/tasks/${other.task_id}`);
    },
  });
  return h("div", { class: "fusion" }, step.start, step.form);
}

// ---- 4. every draw known for the task -----------------------------------------------------------------------
function historyCard(records) {
  const rows = records.map((r) => h("tr", { "data-draw": r.draw_id },
    h("td", {}, h("a", { href: `#/draws/${r.draw_id}`, class: "mono" }, r.draw_id.slice(0, 8))),
    h("td", {}, h("span", { class: `badge draw-${r.status}` }, DRAW_STATUS[r.status] || r.status)),
    h("td", {}, dateTime(r.committed_at)),
    h("td", {}, r.drawn_at ? dateTime(r.drawn_at) : "—"),
    h("td", { class: "num" }, r.drawn ? String(r.drawn.length) : "—"),
    h("td", {}, r.redraw_of ? `重新抽取：${r.reason || "—"}（批准人：${r.approver || "—"}）` : "首次抽取")));
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "尚无抽取记录。")));
  return h("section", { class: "card", "aria-labelledby": "history-title" },
    h("h2", { id: "history-title" }, "抽取记录"),
    h("div", { class: "table-scroll" }, h("table", { class: "grid history-table" },
      h("thead", {}, h("tr", {}, ["抽取编号", "状态", "登记时间", "执行时间", "抽中户数", "说明"]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))));
}

