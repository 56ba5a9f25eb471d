// 任务详情: every field, each department's response, the actions that apply to the logged-in department, the timeline.
import { api, commandSender, lastPosition, session } from "../api.js";
import { departmentNames } from "../data.js";
import { field, h, replace, uid } from "../dom.js";
import { RESPONSE_STATUS, date, dateTime, lateLabel, taskNumber } from "../format.js";
import { coalesce, subscribe } from "../live.js";
import {
  busy, clearFormError, dueBadge, formErrorBox, heading, provisionalMark, reloadAfterCommand, showAlert,
  showFormError, statusBadge,
} from "../ui.js";

export async function taskView(ctx) {
  const id = ctx.arg;
  const root = h("div", { class: "task-detail" });
  const names = await departmentNames();

  async function load() {
    const [task, timeline] = await Promise.all([
      api("GET", `/joint-tasks/${id}`),
      api("GET", `/joint-tasks/${id}/timeline`, { query: { min_position: lastPosition() } }),
    ]);
    if (!ctx.isCurrent()) return;
    document.title = `${task.title} - 任务详情`;
    replace(root, ...page(task, timeline.items, names, afterCommand));
  }

  /** After a command: re-read (the timeline waits for the command's position), say what happened, refocus. */
  const afterCommand = (message) => reloadAfterCommand(ctx, root, load, message);

  await load();
  // Live: another department's response, a proposed day, a cancellation… appear without reloading the page.
  const refresh = coalesce(() => load().catch(showAlert), 300);
  subscribe((message) => { if (message.task_id === id || message.type === "resync") refresh(); });
  return root;
}

function page(task, timeline, names, done) {
  const me = session.get();
  const actions = actionForms(task, me, names, done);
  return [
    h("div", { class: "page-head" },
      heading(task.title, " ", statusBadge(task.status)),
      h("a", { href: "#/tasks", class: "button secondary" }, "返回我的任务")),
    basics(task, names),
    actions.length
      ? h("section", { class: "card actions-card", "aria-labelledby": "actions-title" },
        h("h2", { id: "actions-title" }, "本部门办理"), actions)
      : h("p", { class: "muted no-actions" }, "本部门当前没有需要办理的事项。"),
    responsesSection(task),
    progressSection(task, names),
    timelineSection(timeline),
  ];
}

// ---- read-only sections -----------------------------------------------------------------------------
function row(label, ...value) {
  return [h("dt", {}, label), h("dd", {}, ...value)];
}

function wideRow(label, ...value) {
  return [h("dt", { class: "wide" }, label), h("dd", { class: "wide" }, ...value)];
}

function basics(task, names) {
  const agreedBy = (task.day_agreements || []).map((c) => names[c] || c).join("、");
  return h("section", { class: "card", "aria-labelledby": "basics-title" },
    h("h2", { id: "basics-title" }, "任务信息"),
    h("dl", { class: "facts" },
      row("牵头部门", task.lead_department.name || task.lead_department.code),
      row("发起方式", task.initiator_role === "office" ? "联席会议办公室发起" : "牵头部门发起"),
      row("任务类型", task.planned ? "计划内" : "计划外"),
      row("状态", statusBadge(task.status)),
      row("检查时间窗口", `${date(task.window_start)} 至 ${date(task.window_end)}`),
      row("推送时间", dateTime(task.pushed_at)),
      row("响应期限", h("span", { class: "deadline" }, `${date(task.response_deadline)} 24:00 前`),
        task.deadline_provisional ? provisionalMark() : null, task.response_due ? dueBadge(task.response_due) : null),
      row("提议检查日", task.proposed_day ? `${date(task.proposed_day)}（已同意：${agreedBy || "无"}）` : "—"),
      row("联合检查日", task.agreed_day ? date(task.agreed_day) : "未确定"),
      row("任务编号", h("span", { class: "task-number", title: task.id }, taskNumber(task))),
      wideRow("抽查事项", itemsByDepartment(task, names)),
      wideRow("备注", task.note || "—"),
      task.cancelled ? wideRow("撤销", `${dateTime(task.cancelled.at)}，理由：${task.cancelled.reason}`) : null,
      task.merged_into
        ? wideRow("已并入", h("a", { href: `#/tasks/${task.merged_into}` }, "查看融合后的任务")) : null,
      task.merged_from && task.merged_from.length
        ? wideRow("并入本任务", h("ul", { class: "plain" }, task.merged_from.map((t, i) =>
          h("li", {}, h("a", { href: `#/tasks/${t}` }, `被融合任务 ${i + 1}`)))))
        : null));
}

/** The task's items grouped by the department that owns each, and whether it will be inspected (R-JOINT-3). */
function itemsByDepartment(task, names) {
  const lead = task.lead_department.code;
  const responses = Object.fromEntries(task.responses.map((r) => [r.department_code, r]));
  const groups = new Map();
  for (const item of task.item_details) {
    const owner = item.department_code || lead;
    if (!groups.has(owner)) groups.set(owner, []);
    groups.get(owner).push(item);
  }
  const fate = (owner, item) => {
    if (owner === lead) return ["牵头部门检查", "joined"];
    const r = responses[owner];
    if (!r || r.status === "pending") return ["待该部门响应", "pending"];
    if (r.status === "declined") return ["该部门不参加，本次不检查此事项", "dropped"];
    if (r.item_ids && !r.item_ids.includes(item.id)) return ["该部门未选择，本次不检查此事项", "dropped"];
    return ["参加检查", "joined"];
  };
  return h("div", { class: "items-by-department" }, [...groups].map(([owner, items]) => h("div", {
    class: "item-group", "data-department": owner }, h("div", { class: "item-owner" }, names[owner] || owner),
  h("ul", { class: "plain" }, items.map((i) => {
    const [text, kind] = fate(owner, i);
    return h("li", { "data-item-id": i.id, class: `item-${kind}` }, i.code ? `${i.name}（${i.code}）` : i.name,
      h("span", { class: `badge item-fate-${kind}` }, text));
  })))));
}

function responsesSection(task) {
  const rows = task.responses.map((r) => {
    const late = lateLabel(r);
    return h("tr", { "data-department": r.department_code },
      h("th", { scope: "row" }, r.department_name),
      h("td", { class: "response-status" }, h("span", { class: `badge response-${r.status}` },
        RESPONSE_STATUS[r.status] || r.status)),
      h("td", {}, r.item_ids && r.item_ids.length ? r.item_ids.map((i) => itemName(task, i)).join("、") : "—"),
      h("td", {}, r.reason || "—"),
      h("td", {}, r.responded_at ? dateTime(r.responded_at) : "—"),
      h("td", { class: "late-status" }, late ? h("span", { class: `badge ${r.late_reason ? "late-explained" : "late"}` },
        late) : "—"),
      h("td", {}, r.late_reason || "—"));
  });
  if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 7, class: "empty" }, "没有响应部门。")));
  return h("section", { class: "card", "aria-labelledby": "responses-title" },
    h("h2", { id: "responses-title" }, "各部门响应情况"),
    h("table", { class: "grid responses-table" },
      h("thead", {}, h("tr", {},
        ["部门", "响应", "参加事项", "理由", "响应时间", "逾期情况", "逾期理由"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
}

function progressSection(task, names) {
  const rows = task.participants.map((code) => {
    const inspection = task.inspections[code];
    const publication = task.publications[code];
    const agreed = (task.day_agreements || []).includes(code);
    let day = "未提议";
    if (task.agreed_day) day = date(task.agreed_day);
    else if (task.proposed_day) day = `${date(task.proposed_day)}（${agreed ? "已同意" : "待同意"}）`;
    return h("tr", { "data-department": code },
      h("th", { scope: "row" }, names[code] || code),
      h("td", {}, code === task.lead_department.code ? "牵头部门" : "响应部门"),
      h("td", { class: "day-cell" }, day),
      h("td", {}, inspection ? date(inspection.completed_on) : "—"),
      h("td", {}, inspection ? date(inspection.publish_deadline) : "—"),
      h("td", {}, publication ? [dateTime(publication.at), publication.late ? "（逾期）" : ""] : "—"));
  });
  return h("section", { class: "card", "aria-labelledby": "progress-title" },
    h("h2", { id: "progress-title" }, "检查与公示进度"),
    h("table", { class: "grid progress-table" },
      h("thead", {}, h("tr", {},
        ["参与部门", "角色", "检查日", "检查完成日期", "公示期限", "公示时间"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)));
}

function timelineSection(items) {
  return h("section", { class: "card", "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, "办理记录"),
    items.length
      ? h("ol", { class: "timeline" }, items.map((e) => h("li", { "data-event": e.event_type },
        h("time", { datetime: e.at }, dateTime(e.at)), h("span", { class: "summary" }, e.summary))))
      : h("p", { class: "muted" }, "暂无记录。"));
}

// ---- actions: only those that apply to the logged-in department ----------------------------------------
function actionForms(task, me, names, done) {
  // What the server says this department may do now (task.actions): never guessed here (issue 15 item 4).
  const can = new Set(task.actions || []);
  const mine = task.responses.find((r) => r.department_code === me.department_code);
  const base = `/joint-tasks/${task.id}`;
  const forms = [];

  if (can.has("respond")) forms.push(respondForm(task, mine, me, base, done));
  if (can.has("give_late_reason") && !can.has("respond")) { // a late answer's form takes the reason itself
    forms.push(simpleForm({
      title: "说明逾期理由", submit: "提交逾期理由", path: `${base}/late-reason`, done,
      fields: [field({ label: "逾期理由", name: "reason", type: "textarea", required: true,
        hint: "本部门已超过响应期限，请说明原因；说明后记为“逾期已说明”。", attrs: { maxlength: 1000 } })],
      body: ([reason]) => ({ reason: reason.value.trim() }),
      message: () => "已说明逾期理由。",
    }));
  }
  if (can.has("propose_day")) {
    forms.push(simpleForm({
      title: task.proposed_day ? "重新提议检查日" : "提议检查日", submit: "提议", path: `${base}/inspection-day/proposals`,
      done,
      fields: [field({ label: "联合检查日", name: "day", type: "date", required: true,
        hint: `须为时间窗口（${date(task.window_start)} 至 ${date(task.window_end)}）内、今天之后的工作日。`,
        attrs: { min: task.window_start, max: task.window_end } })],
      body: ([day]) => ({ day: day.value || null }),
      message: (b) => `已提议联合检查日 ${b.day}，等待其他参与部门同意。`,
    }));
  }
  if (can.has("agree_day")) {
    forms.push(simpleForm({
      title: "同意检查日", submit: `同意 ${date(task.proposed_day)} 为联合检查日`, done,
      path: `${base}/inspection-day/agreements`, fields: [],
      intro: `已提议的联合检查日：${date(task.proposed_day)}。`,
      body: () => undefined,
      message: () => `已同意联合检查日 ${date(task.proposed_day)}。`,
    }));
  }
  if (can.has("draw") || can.has("match")) forms.push(drawAndMatchLinks(task, can));
  if (task.agreed_day && task.drawn_subjects.length) forms.push(resultsLink(task, me));
  if (can.has("record_inspection")) {
    forms.push(simpleForm({
      title: "登记检查完成", submit: "登记检查完成", path: `${base}/inspections`, done,
      fields: [
        field({ label: "完成日期", name: "completed_on", type: "date", required: true,
          hint: `须在联合检查日 ${date(task.agreed_day)} 与今天之间；结果须在完成后 20 个工作日内公示。`,
          attrs: { value: task.agreed_day } }),
        field({ label: "备注", name: "note", type: "textarea", attrs: { maxlength: 2000 } }),
      ],
      body: ([day, note]) => ({ completed_on: day.value || null, note: note.value.trim() }),
      message: () => "已登记检查完成。",
    }));
  }
  if (can.has("publish")) {
    forms.push(simpleForm({
      title: "公示结果", submit: "公示结果", path: `${base}/publications`, done,
      intro: `本部门的公示期限：${date(task.inspections[me.department_code].publish_deadline)}。`,
      fields: [field({ label: "公示说明", name: "note", type: "textarea", attrs: { maxlength: 2000 } })],
      body: ([note]) => ({ note: note.value.trim() }),
      message: () => "已公示检查结果。",
    }));
  }
  if (can.has("cancel")) {
    const form = simpleForm({
      title: "撤销任务", submit: "撤销任务", path: `${base}/cancellation`, done, danger: true,
      fields: [field({ label: "撤销理由", name: "reason", type: "textarea", required: true,
        hint: "撤销后各部门不能再办理该任务，且不可恢复。", attrs: { maxlength: 1000 } })],
      body: ([reason]) => ({ reason: reason.value.trim() }),
      message: () => "任务已撤销。",
    });
    forms.push(h("details", { class: "danger-zone" }, h("summary", {}, "撤销任务…"), form));
  }
  return forms;
}

/** Links to the draw and matching pages when this department may draw or match (R-JOINT-6). */
function drawAndMatchLinks(task, can) {
  return h("div", { class: "action draw-links" },
    h("h3", {}, "随机抽取与匹配"),
    h("div", { class: "actions" },
      can.has("draw") ? h("a", { class: "button primary", href: `#/tasks/${task.id}/draw` }, "抽取检查对象") : null,
      can.has("match") ? h("a", { class: "button primary", href: `#/tasks/${task.id}/matching` }, "匹配检查人员")
        : null));
}

/** The results page: each joining department records, publishes and corrects its results there (R-JOINT-7). */
function resultsLink(task, me) {
  const joins = task.participants.includes(me.department_code);
  return h("div", { class: "action results-link" },
    h("h3", {}, "检查结果"),
    h("p", {}, joins ? "本部门对每个检查对象录入一条检查结果，并在检查后 20 个工作日内公示。" : "查看各部门的检查结果录入与公示进度。"),
    h("div", { class: "actions" },
      h("a", { class: "button primary", href: `#/tasks/${task.id}/results` }, joins ? "录入与公示检查结果" : "查看检查结果"),
      h("a", { class: "button secondary", href: `#/tasks/${task.id}/visit-notices` }, "联合检查告知书"),
      h("a", { class: "button secondary", href: `#/tasks/${task.id}/follow-up` }, "结果督办与企业诉求")));
}

/** A titled form that sends one command with its own Idempotency-Key and shows the API's error beside itself. */
function simpleForm({ title, intro, fields, submit, path, body, message, done, danger = false }) {
  const send = commandSender();
  const errors = formErrorBox();
  const titleId = uid("action");
  const form = h("form", { class: `action${danger ? " danger" : ""}`, novalidate: true, "aria-labelledby": titleId },
    h("h3", { id: titleId }, title),
    intro ? h("p", {}, intro) : null,
    errors,
    fields.map((f) => f.wrap),
    h("div", { class: "actions" }, h("button", { type: "submit", class: danger ? "danger" : "primary" }, submit)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const payload = body(fields.map((f) => f.input));
      try {
        await send("POST", path, payload);
      } catch (error) {
        showFormError(form, errors, error);
        if (!form.querySelector("[aria-invalid]")) errors.focus();
        return;
      }
      await done(message(payload || {}));
    });
  });
  return form;
}

function respondForm(task, mine, me, base, done) {
  const send = commandSender();
  const errors = formErrorBox();
  const name = uid("decision");
  const radio = (value, label, checked) => {
    const id = uid(`decision-${value}`);
    return h("span", { class: "check" },
      h("input", { type: "radio", id, name, value, checked }), h("label", { for: id }, label));
  };
  const decision = h("fieldset", { class: "field inline", "data-field": "decision" },
    h("legend", {}, "响应结果", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    radio("accept", "参加", true), radio("decline", "不参加", false),
    h("p", { class: "field-error" }));
  // A department joins its own items of the task (R-JOINT-3); the others are answered by their departments.
  const own = task.item_details.filter((i) => i.department_code === me.department_code || !i.department_code);
  const itemBoxes = own.map((item) => {
    const id = uid("item");
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: "item_ids", value: item.id }), h("label", { for: id }, item.name));
  });
  const items = h("fieldset", { class: "field", "data-field": "item_ids" },
    h("legend", {}, "参加的抽查事项", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    own.length ? h("div", { class: "check-grid" }, itemBoxes)
      : h("p", { class: "hint" }, "本任务中没有本部门的抽查事项，只能选择“不参加”并说明理由。"),
    h("p", { class: "hint" }, "只列出本部门的事项；选择“不参加”时，本部门的事项本次不检查。"),
    h("p", { class: "field-error" }));
  const reason = field({ label: "说明", name: "reason", type: "textarea", attrs: { maxlength: 1000 },
    hint: mine.late
      ? "已超过响应期限，本次响应将记为逾期；可在此一并说明逾期理由。"
      : `请在 ${date(task.response_deadline)} 24:00 前响应。选择“不参加”时须填写理由。` });
  const reasonLabel = reason.wrap.querySelector("label");

  const form = h("form", { class: "action", novalidate: true, "aria-labelledby": "respond-title" },
    h("h3", { id: "respond-title" }, "响应本任务"), errors, decision, items, reason.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "提交响应")));

  const chosen = () => form.querySelector(`input[name="${name}"]:checked`)?.value || null;
  const sync = () => {
    const accept = chosen() !== "decline";
    items.hidden = !accept;
    itemBoxes.forEach((b) => { b.querySelector("input").disabled = !accept; });
    reasonLabel.textContent = accept ? (mine.late ? "逾期理由（可选）" : "说明（可选）") : "不参加的理由（必填）";
  };
  form.addEventListener("change", (event) => { if (event.target.name === name) sync(); });
  sync();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const value = chosen();
      const payload = {
        decision: value,
        item_ids: value === "accept"
          ? [...form.querySelectorAll('input[name="item_ids"]:checked')].map((c) => c.value) : [],
        reason: reason.input.value.trim(),
      };
      let result;
      try {
        result = await send("POST", `${base}/responses`, payload);
      } catch (error) {
        showFormError(form, errors, error);
        if (!form.querySelector("[aria-invalid]")) errors.focus();
        return;
      }
      await done(`已提交响应：${value === "accept" ? "参加" : "不参加"}${result.late ? "（逾期响应）" : ""}。`);
    });
  });
  return form;
}

/** A check item's Chinese name, from the task's item_details (ids are what the task records: R-ITEM-3). */
function itemName(task, id) {
  const found = task.item_details.find((i) => i.id === id);
  return found ? found.name : id;
}
