// 匹配检查人员 (#/tasks/{id}/matching): each joining department matches its own inspectors to the drawn subjects —
// commit with a team size, execute after a confirmation, see the teams (the first member leads), replace an
// inspector for an allowed reason with an approver, assign directly when too few, declare a conflict of interest,
// and verify any department's random matching (R-JOINT-6, R-MATCH-1..4).
import { api, commandSender, session } from "../api.js";
import { departmentNames } from "../data.js";
import { field, h, replace } from "../dom.js";
import { subscribe } from "../live.js";
import { date, dateTime, taskNumber } from "../format.js";
import {
  busy, changedElsewhereBar, clearFormError, formErrorBox, heading, messageOf, reloadAfterCommand, showAlert, showNotice, statusBadge,
} from "../ui.js";
import { confirmStep, loadDraws, rememberDraw, showErrors, subjectNames } from "./draw-record.js";

export const REPLACEMENT_REASONS = { // domain/joint_task_rules.py REPLACEMENT_REASONS (R-MATCH-2)
  post_change: "岗位变动", schedule_conflict: "工作冲突", health: "身体原因", recusal: "回避",
};

export async function matchingView(ctx) {
  const taskId = ctx.arg;
  const params = new URLSearchParams(ctx.params);
  const root = h("div", { class: "matching-page" });
  const names = await departmentNames();
  if (params.get("draw")) rememberDraw(taskId, params.get("draw"));

  async function load() {
    const me = session.get();
    const [task, matchings] = await Promise.all([
      api("GET", `/joint-tasks/${taskId}`), api("GET", `/joint-tasks/${taskId}/matchings`)]);
    const participant = task.participants.includes(me.department_code);
    const [inspectors, subjects] = await Promise.all([
      participant ? ownInspectors() : Promise.resolve([]), drawnSubjects(task, matchings.departments, params)]);
    const subjectNamesByCode = await subjectNames(subjects);
    if (!ctx.isCurrent()) return;
    document.title = `匹配检查人员 - ${task.title}`;
    const state = { task, departments: matchings.departments, inspectors, subjects, subjectNamesByCode, names, me,
      participant };
    replace(root, ...page(state, done));
  }

  const done = (message) => reloadAfterCommand(ctx, root, load, message);

  await load();
  return h("div", {}, changedElsewhereBar(taskId, () => load().catch(showAlert), subscribe), root);
}

/** This department's inspectors (a few pages at most), for names and the forms' choices. */
export async function ownInspectors() {
  const all = [];
  for (let page = 1; page <= 10; page += 1) {
    const result = await api("GET", "/inspectors", { query: { page, page_size: 200, sort: "name" } });
    all.push(...result.items);
    if (all.length >= result.total || !result.items.length) break;
  }
  return all;
}

/** The task's drawn subjects: from any department's teams, else from the draw record this browser knows of. */
async function drawnSubjects(task, departments, params) {
  const codes = new Set();
  for (const m of Object.values(departments)) {
    Object.keys(m.teams || m.team_sizes || {}).forEach((c) => codes.add(c));
  }
  if (codes.size) return [...codes].sort();
  try {
    const current = (await loadDraws(task, params)).find((r) => r.status === "drawn");
    return current ? [...current.drawn].sort() : [];
  } catch {
    return [];
  }
}

const MATCH_STATUS = { committed: "已登记承诺值，待执行", matched: "已随机匹配", assigned: "经批准直接指派" };

function statusOf(m) {
  if (!m) return null;
  return m.assigned ? "assigned" : m.status;
}

function page(state, done) {
  const { task, departments, me, participant } = state;
  const mine = departments[me.department_code];
  const status = statusOf(mine);
  const sections = [
    h("div", { class: "page-head" },
      heading("匹配检查人员"),
      h("a", { href: `#/tasks/${task.id}`, class: "button secondary" }, "返回任务详情")),
    h("section", { class: "card", "aria-labelledby": "match-task-title" },
      h("h2", { id: "match-task-title" }, task.title),
      h("dl", { class: "facts" },
        h("dt", {}, "任务编号"), h("dd", {}, taskNumber(task)),
        h("dt", {}, "牵头部门"), h("dd", {}, task.lead_department.name || task.lead_department.code),
        h("dt", {}, "状态"), h("dd", {}, statusBadge(task.status)),
        h("dt", {}, "联合检查日"), h("dd", {}, task.agreed_day ? date(task.agreed_day) : "未确定"),
        h("dt", {}, "检查对象"), h("dd", {}, state.subjects.length ? `${state.subjects.length} 户` : "—"))),
  ];
  if (!participant) {
    sections.push(h("p", { class: "muted no-actions" }, "本部门不是该任务的参与部门，只能查看各部门匹配情况。"));
  } else {
    sections.push(ownCard(state, mine, status, done));
    if (status === "matched" || status === "assigned") sections.push(replacementCard(state, mine, done));
    const canMatch = (task.actions || []).includes("match"); // the server would take a matching now
    if (status === "committed" || (!status && canMatch)) sections.push(assignmentCard(state, done));
    sections.push(conflictCard(state, done));
  }
  sections.push(departmentsCard(state));
  return sections;
}

// ---- this department's matching ------------------------------------------------------------------------------
function inspectorLabel(state, id) {
  const found = state.inspectors.find((i) => i.resident_id === id);
  return found ? `${found.name}（${id}）` : id;
}

function ownCard(state, mine, status, done) {
  const { task } = state;
  const parts = [h("h2", { id: "own-title", tabindex: "-1", "data-focus-after": "1" }, "本部门匹配")];
  if (!status) {
    if ((task.actions || []).includes("match")) parts.push(commitForm(state, done));
    else {
      parts.push(h("p", { class: "muted" }, task.agreed_day
        ? "当前不能匹配检查人员：须待牵头部门抽取检查对象，且本部门尚未登记检查完成。"
        : "联合检查日确定后才能匹配检查人员（执法证件须在检查日有效）。"));
    }
  } else if (status === "committed") {
    parts.push(executeForm(state, mine, done));
  } else {
    parts.push(h("p", {}, status === "assigned"
      ? `经批准直接指派（批准人：${mine.approver || "—"}；理由：${mine.reason || "—"}）。`
      : `已随机匹配（每组 ${mine.team_size} 人，算法 ${mine.algorithm} 第 ${mine.version} 版）。`),
    teamsTable(state, mine.teams || {}),
    replacementsList(state, mine.replacements || []),
    status === "matched" ? verifyButton(state, state.me.department_code) : null);
  }
  return h("section", { class: "card actions-card own-card", "aria-labelledby": "own-title" }, parts);
}

function commitForm(state, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const size = field({ label: "每组人数", name: "team_size", type: "number", required: true,
    hint: "每个检查对象至少匹配 2 名检查人员，第一名为组长（R-MATCH-1）。",
    attrs: { min: 2, max: 10, step: 1, value: "2" } });
  const form = h("form", { class: "action", novalidate: true, "aria-label": "登记匹配" },
    h("p", {}, "先登记每组人数：平台生成保密的随机种子并公开其承诺值；执行匹配时才固定本部门在岗持证人员名单并公开种子。"),
    errors, size.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "登记匹配（生成承诺值）")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const text = size.input.value.trim();
      let result;
      try {
        result = await send("POST", `/joint-tasks/${state.task.id}/matchings`,
          { team_size: text === "" ? null : Number(text) });
      } catch (error) {
        showErrors(form, errors, error);
        return;
      }
      await done(`已登记匹配，承诺值 ${result.commitment.slice(0, 16)}…；请执行匹配。`);
    });
  });
  return form;
}

function executeForm(state, mine, done) {
  const send = commandSender();
  const step = confirmStep({
    startLabel: "执行匹配…", title: "确认执行匹配", confirmLabel: "确认执行匹配",
    text: "执行后将固定本部门在检查日在岗且持有效执法证件的检查人员名单，公开随机种子并为每个检查对象组成检查组。"
      + "结果不可撤销；此后更换人员须逐人说明理由并经批准。",
    run: async (fail) => {
      let result;
      try {
        result = await send("POST", `/joint-tasks/${state.task.id}/matchings/${mine.match_id}/execution`);
      } catch (error) {
        fail(error);
        if (error && error.details && error.details.needed !== undefined) { // too few: offer R-MATCH-4
          const assignment = document.querySelector(".assignment-card details");
          if (assignment) assignment.open = true;
        }
        return;
      }
      await done(`已匹配检查人员：${result.teams} 个检查组，${result.inspectors} 名在岗持证人员参与随机匹配。`);
    },
  });
  return h("div", {},
    h("p", {}, `已登记匹配（每组 ${mine.team_size} 人），承诺值：`, h("span", { class: "mono hash" }, mine.commitment)),
    h("div", { class: "actions" }, step.start), step.form);
}

function teamsTable(state, teams) {
  const codes = Object.keys(teams).sort();
  const rows = codes.map((code) => {
    const [leader, ...members] = teams[code];
    return h("tr", { "data-subject": code },
      h("td", { class: "mono" }, code),
      h("td", {}, state.subjectNamesByCode[code] || "—"),
      h("td", { class: "leader" }, leader ? inspectorLabel(state, leader) : "—"),
      h("td", { class: "members" }, members.map((m) => inspectorLabel(state, m)).join("、") || "—"));
  });
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 4, class: "empty" }, "没有检查组。")));
  return h("div", { class: "table-scroll" }, h("table", { class: "grid teams-table" },
    h("thead", {}, h("tr", {}, ["检查对象代码", "名称", "组长", "组员"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

function replacementsList(state, replacements) {
  if (!replacements.length) return null;
  return h("div", {}, h("h3", {}, "人员更换记录"),
    h("ul", { class: "plain replacements" }, replacements.map((r) => h("li", {},
      `${dateTime(r.at)} 检查对象 ${r.subject}：${inspectorLabel(state, r.replaced)} → ${inspectorLabel(state, r.replacement)}`
      + `（${REPLACEMENT_REASONS[r.reason] || r.reason}，批准人：${r.approver}）`))));
}

function verifyButton(state, department, label = "核验本部门匹配", accessibleName = null) {
  const result = h("span", { class: "verify-inline", "aria-live": "polite" });
  const button = h("button", { type: "button", onclick: async () => {
    button.disabled = true;
    replace(result);
    try {
      const v = await api("GET", `/joint-tasks/${state.task.id}/matchings/${encodeURIComponent(department)}/verification`);
      replace(result, h("span", { class: v.match ? "check-ok" : "check-failed" },
        v.match ? "核验一致：按公开的种子可复现该匹配结果。" : "核验不一致：按公开的种子不能复现该匹配结果。"));
    } catch (error) {
      replace(result, h("span", { class: "check-failed" }, messageOf(error)));
    } finally {
      button.disabled = false;
    }
  } }, label);
  if (accessibleName) button.setAttribute("aria-label", accessibleName);
  return h("div", { class: "actions verify-actions", "data-verify": department }, button, result);
}

// ---- replacement (R-MATCH-2) ---------------------------------------------------------------------------------
function replacementCard(state, mine, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const teams = mine.teams || {};
  const codes = Object.keys(teams).sort();
  const subject = field({ label: "检查对象", name: "subject_code", required: true, control: h("select", {},
    codes.map((c) => h("option", { value: c }, state.subjectNamesByCode[c] ? `${c} ${state.subjectNamesByCode[c]}` : c))) });
  const inspector = field({ label: "被更换的检查人员", name: "inspector", required: true, control: h("select", {}) });
  const fill = () => {
    replace(inspector.input, (teams[subject.input.value] || []).map((id, i) =>
      h("option", { value: id }, `${inspectorLabel(state, id)}${i === 0 ? "（组长）" : ""}`)));
  };
  subject.input.addEventListener("change", fill);
  fill();
  const reason = field({ label: "更换理由", name: "reason", required: true, control: h("select", {},
    Object.entries(REPLACEMENT_REASONS).map(([value, label]) => h("option", { value }, label))) });
  const approver = field({ label: "批准人", name: "approver", required: true, hint: "须由经办人以外的负责人批准。",
    attrs: { maxlength: 50, autocomplete: "off" } });
  const form = h("form", { class: "action", novalidate: true, "aria-labelledby": "replace-title" },
    h("h2", { id: "replace-title" }, "更换检查人员"),
    h("p", { class: "hint" }, "仅限岗位变动、工作冲突、身体原因、回避，须说明理由并经批准；接替人员按已公开的种子随机产生（R-MATCH-2）。"),
    errors, h("div", { class: "field-row" }, subject.wrap, inspector.wrap, reason.wrap, approver.wrap),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "更换")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const body = { subject_code: subject.input.value, inspector: inspector.input.value, reason: reason.input.value,
        approver: approver.input.value.trim() };
      let result;
      try {
        result = await send("POST", `/joint-tasks/${state.task.id}/matchings/replacements`, body);
      } catch (error) {
        showErrors(form, errors, error);
        return;
      }
      await done(`已更换检查人员：${inspectorLabel(state, body.inspector)} → ${inspectorLabel(state, result.replacement)}。`);
    });
  });
  return h("section", { class: "card" }, form);
}

// ---- direct or cross-unit assignment (R-MATCH-4) --------------------------------------------------------------
function assignmentCard(state, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const rows = h("div", { class: "assign-rows" });
  const addRow = (code = "") => {
    const codeInput = h("input", { type: "text", class: "assign-code mono", maxlength: 32, value: code,
      readonly: Boolean(code) || null, autocomplete: "off", "aria-label": "检查对象代码" });
    const team = h("input", { type: "text", class: "assign-team", autocomplete: "off",
      "aria-label": code ? `${code} 的检查组` : "检查组", placeholder: "身份证号，组长在前，以逗号分隔" });
    rows.append(h("div", { class: "assign-row" }, codeInput,
      code && state.subjectNamesByCode[code] ? h("span", { class: "muted" }, state.subjectNamesByCode[code]) : null,
      team));
  };
  state.subjects.forEach((code) => addRow(code));
  if (!state.subjects.length) addRow();
  const reason = field({ label: "指派理由", name: "reason", type: "textarea", required: true, attrs: { maxlength: 1000 } });
  const approver = field({ label: "批准人", name: "approver", required: true, hint: "须由经办人以外的负责人批准。",
    attrs: { maxlength: 50, autocomplete: "off" } });
  const form = h("form", { class: "action", novalidate: true, "aria-label": "直接指派检查人员" },
    h("p", { class: "hint" }, "本部门在岗持证检查人员不足时，经批准可直接指派或跨单位匹配（R-MATCH-4）。"
      + "每个检查对象至少 2 名在检查日持有效执法证件的检查人员，且不得与检查对象存在利害关系。"),
    errors,
    h("fieldset", { class: "field", "data-field": "teams" }, h("legend", {}, "检查组"), rows,
      h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "添加检查对象"),
      h("p", { class: "field-error" })),
    reason.wrap, approver.wrap,
    inspectorsReference(state),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "提交直接指派")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const teams = {};
      for (const row of rows.children) {
        const code = row.querySelector(".assign-code").value.trim().toUpperCase();
        const ids = row.querySelector(".assign-team").value.split(/[,，、;；\s]+/).map((s) => s.trim().toUpperCase())
          .filter(Boolean);
        if (code) teams[code] = ids;
      }
      try {
        await send("POST", `/joint-tasks/${state.task.id}/matchings/assignment`,
          { teams, reason: reason.input.value.trim(), approver: approver.input.value.trim() });
      } catch (error) {
        const missing = error && error.details && error.details.missing;
        if (Array.isArray(missing)) missing.forEach((code) => addRow(code)); // the platform names the subjects
        showErrors(form, errors, error);
        return;
      }
      await done(`已直接指派检查人员（${Object.keys(teams).length} 个检查组）。`);
    });
  });
  return h("section", { class: "card assignment-card", "aria-labelledby": "assign-title" },
    h("details", {}, h("summary", { id: "assign-title" }, "直接指派检查人员（人员不足时）…"), form));
}

function inspectorsReference(state) {
  if (!state.inspectors.length) return h("p", { class: "muted" }, "本部门名录中没有检查人员。");
  return h("details", { class: "reference" }, h("summary", {}, `本部门检查人员（${state.inspectors.length} 名）`),
    h("div", { class: "table-scroll" }, h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["姓名", "身份证号", "岗位", "执法证有效期", "在岗"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, state.inspectors.map((i) => h("tr", {},
        h("td", {}, i.name), h("td", { class: "mono" }, i.resident_id), h("td", {}, i.post || "—"),
        h("td", {}, i.certificate_expires ? date(i.certificate_expires) : "—"),
        h("td", {}, i.available ? "是" : "否")))))));
}

// ---- conflicts of interest (R-MATCH-3) --------------------------------------------------------------------------
function conflictCard(state, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const inspectorsList = `inspectors-${state.task.id}`;
  const subjectsList = `subjects-${state.task.id}`;
  const inspector = field({ label: "检查人员身份证号", name: "inspector_id", required: true,
    attrs: { maxlength: 18, autocomplete: "off", list: inspectorsList, class: "mono" } });
  const subject = field({ label: "检查对象代码", name: "subject_code", required: true,
    attrs: { maxlength: 32, autocomplete: "off", list: subjectsList, class: "mono" } });
  const reason = field({ label: "利害关系说明", name: "reason", type: "textarea", required: true, attrs: { maxlength: 1000 } });
  const form = h("form", { class: "action", novalidate: true, "aria-labelledby": "conflict-title" },
    h("h2", { id: "conflict-title" }, "登记回避"),
    h("p", { class: "hint" }, "检查人员与检查对象存在利害关系的，登记后不会被匹配到该检查对象（R-MATCH-3）。只能为本部门的检查人员登记。"),
    errors, h("div", { class: "field-row" }, inspector.wrap, subject.wrap), reason.wrap,
    h("datalist", { id: inspectorsList }, state.inspectors.map((i) => h("option", { value: i.resident_id }, i.name))),
    h("datalist", { id: subjectsList }, state.subjects.map((c) => h("option", { value: c },
      state.subjectNamesByCode[c] || c))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "登记回避")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const body = { inspector_id: inspector.input.value.trim().toUpperCase(),
        subject_code: subject.input.value.trim().toUpperCase(), reason: reason.input.value.trim() };
      try {
        await send("POST", "/conflicts", body);
      } catch (error) {
        showErrors(form, errors, error);
        return;
      }
      form.reset();
      showNotice(`已登记回避：${inspectorLabel(state, body.inspector_id)} 不会被匹配到检查对象 ${body.subject_code}。`);
    });
  });
  return h("section", { class: "card" }, form);
}

// ---- every department --------------------------------------------------------------------------------------------
function departmentsCard(state) {
  const { task, departments, names, me } = state;
  const rows = task.participants.map((code) => {
    const m = departments[code];
    const status = statusOf(m);
    const teamCount = m ? Object.keys(m.teams || m.team_sizes || {}).length : 0;
    return h("tr", { "data-department": code },
      h("th", { scope: "row" }, names[code] || code),
      h("td", {}, code === task.lead_department.code ? "牵头部门" : "响应部门"),
      h("td", { class: "match-status" }, status ? MATCH_STATUS[status] : "未匹配"),
      h("td", { class: "num" }, m && m.team_size ? String(m.team_size) : "—"),
      h("td", { class: "num" }, teamCount ? String(teamCount) : "—"),
      h("td", {}, status === "matched" ? verifyButton(state, code, "核验", `核验${names[code] || code}的匹配`) : "—"));
  });
  const visibleTeams = Object.entries(departments).filter(([code, m]) => m.teams && code !== me.department_code);
  return h("section", { class: "card", "aria-labelledby": "departments-title" },
    h("h2", { id: "departments-title" }, "各部门匹配情况"),
    h("div", { class: "table-scroll" }, h("table", { class: "grid departments-table" },
      h("thead", {}, h("tr", {}, ["部门", "角色", "状态", "每组人数", "检查组数", "核验"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))),
    visibleTeams.map(([code, m]) => h("div", {}, h("h3", {}, `${names[code] || code}的检查组`), teamsTable(state, m.teams))));
}
