// 检查结果 (#/tasks/{id}/results): this department records one result per drawn subject (一部门一对象一张表,
// R-JOINT-7), walking subject by subject with the keyboard; publishes what it recorded (谁检查、谁录入、谁公示,
// R-PUB-1); corrects a published result with a reason and an approver (R-PUB-2). An entry made without a network
// stays in this browser with its Idempotency-Key and is sent once the network is back, never twice.
import { ApiError, api, commandSender, lastPosition, newKey, session } from "../api.js";
import { departmentNames } from "../data.js";
import { field, h, replace } from "../dom.js";
import { subscribe } from "../live.js";
import { date, dateTime, taskNumber } from "../format.js";
import {
  busy, changedElsewhereBar, clearFormError, formErrorBox, heading, reloadAfterCommand, showAlert, showFormError, showNotice,
} from "../ui.js";
import { ownInspectors } from "./matching.js";

const QUEUE_KEY = "jointinspect.unsent-results";

/** Entries not yet accepted by the server: [{key, taskId, body}], oldest first (kept across reloads). */
const unsent = {
  all() {
    try {
      return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]");
    } catch {
      return [];
    }
  },
  save(list) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(list));
  },
  add(entry) {
    this.save([...this.all(), entry]);
  },
  remove(key) {
    this.save(this.all().filter((e) => e.key !== key));
  },
};

/**
 * Send every unsent entry in order with its own key (a resend is recorded once). Stops at the first network
 * failure; an entry the server refuses leaves the queue and is returned with its error, for the page to show.
 */
export async function sendUnsent() {
  const refused = [];
  let sent = 0;
  for (const entry of unsent.all()) {
    try {
      await api("POST", `/joint-tasks/${entry.taskId}/results`, { body: entry.body, idempotencyKey: entry.key });
      unsent.remove(entry.key);
      sent += 1;
    } catch (error) {
      if (error instanceof ApiError && error.status === 0) break;
      unsent.remove(entry.key);
      refused.push({ entry, error });
    }
  }
  return { sent, refused };
}

export async function resultsView(ctx) {
  const taskId = ctx.arg;
  const root = h("div", { class: "results-page" });
  const names = await departmentNames();
  const me = session.get();
  let selected = new URLSearchParams(ctx.params).get("subject");
  let options = null;
  let inspectors = null;
  let loaded = null; // the last answers read: {task, matchings, results, participant}

  async function load() {
    const [task, matchings, results] = await Promise.all([
      api("GET", `/joint-tasks/${taskId}`), api("GET", `/joint-tasks/${taskId}/matchings`),
      api("GET", `/joint-tasks/${taskId}/results`, { query: { min_position: lastPosition() } })]);
    options = options || await api("GET", "/results/options");
    const participant = task.participants.includes(me.department_code);
    inspectors = inspectors || (participant ? await ownInspectors() : []);
    if (!ctx.isCurrent()) return;
    document.title = `检查结果 - ${task.title}`;
    loaded = { task, matchings, results, participant };
    show();
  }

  /** Render what was last read, with the entries still kept in this browser (no request: works offline). */
  function show() {
    const { task, matchings, results, participant } = loaded;
    const mine = results.items.filter((r) => r.department === me.department_code);
    const teams = (matchings.departments[me.department_code] || {}).teams || {};
    const pending = unsent.all().filter((e) => e.taskId === taskId);
    const state = { task, results, mine, teams, pending, participant };
    if (!selected || !results.subjects.some((s) => s.code === selected)) selected = nextSubject(state, null);
    replace(root, ...page(state));
    // the first control of the subject's form (the app focuses [data-autofocus] on first render; later loads here)
    const focus = root.querySelector("[data-focus-after]");
    if (focus) {
      focus.setAttribute("data-autofocus", "");
      if (root.isConnected) focus.focus();
    }
  }

  const done = (message) => reloadAfterCommand(ctx, root, load, message);

  function nextSubject(state, after) {
    const codes = state.results.subjects.map((s) => s.code);
    const recorded = new Set([...state.mine.map((r) => r.subject_code), ...state.pending.map((e) => e.body.subject_code)]);
    const start = after ? codes.indexOf(after) + 1 : 0;
    return [...codes.slice(start), ...codes.slice(0, start)].find((c) => !recorded.has(c)) || after || codes[0] || null;
  }

  function page(state) {
    const { task, results, mine, participant } = state;
    const own = results.departments.find((d) => d.department === me.department_code);
    const unpublished = mine.filter((r) => !r.published_at);
    const head = h("div", { class: "page-head" },
      heading("检查结果"),
      h("a", { href: `#/tasks/${taskId}`, class: "button secondary" }, "返回任务"));
    const intro = h("p", { class: "muted" }, `${taskNumber(task)} ${task.title}；联合检查日 ${date(task.agreed_day)}`);
    if (!results.subjects.length) {
      return [head, intro, h("p", { class: "empty" }, "本任务尚未抽取检查对象，抽取并匹配检查人员后才能录入结果。")];
    }
    const summary = h("div", { class: "result-summary" },
      participant && own
        ? h("p", {}, `本部门已录入 ${own.recorded} / ${results.subjects.length} 户，已公示 ${own.published} 户。`)
        : null,
      state.pending.length ? h("p", { class: "badge warn pending-note" },
        `${state.pending.length} 条结果已保存在本机，网络恢复后自动提交`) : null,
      unpublished.length ? publishAllForm(unpublished) : null);
    const overview = h("section", { class: "card" }, h("h2", {}, "各部门进度"),
      h("div", { class: "table-scroll" }, h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "部门"), h("th", { scope: "col" }, "已录入"),
          h("th", { scope: "col" }, "已公示"), h("th", { scope: "col" }, "未录入"))),
        h("tbody", {}, results.departments.map((d) => h("tr", {},
          h("td", {}, d.department_name), h("td", { class: "num" }, d.recorded),
          h("td", { class: "num" }, d.published), h("td", { class: "num" }, d.missing.length)))))));
    if (!participant) return [head, intro, overview, othersResults(results)];
    return [head, intro, summary,
      h("div", { class: "results-layout" }, subjectList(state), h("div", { class: "result-detail" }, detail(state))),
      overview];
  }

  function subjectList(state) {
    const byCode = Object.fromEntries(state.mine.map((r) => [r.subject_code, r]));
    const queued = new Set(state.pending.map((e) => e.body.subject_code));
    return h("nav", { class: "subject-list", "aria-label": "检查对象" }, h("ol", {},
      state.results.subjects.map((s) => {
        const r = byCode[s.code];
        const label = r ? (r.published_at ? "已公示" : "已录入") : (queued.has(s.code) ? "待提交" : "未录入");
        return h("li", {}, h("a", {
          href: `#/tasks/${taskId}/results?subject=${encodeURIComponent(s.code)}`,
          "aria-current": s.code === selected ? "true" : null,
          onclick: (event) => { event.preventDefault(); selected = s.code; load(); },
        }, h("span", {}, s.name || s.code), h("span", { class: `badge result-${r ? (r.published_at ? "published" : "recorded") : "missing"}` }, label)));
      })));
  }

  function detail(state) {
    const subject = state.results.subjects.find((s) => s.code === selected);
    const result = state.mine.find((r) => r.subject_code === selected);
    const title = h("h2", {}, `${subject.name || ""} ${subject.code}`);
    if (result) return [title, resultCard(result, true), nextStep(result)];
    if (state.pending.some((e) => e.body.subject_code === selected)) {
      return [title, h("p", { class: "muted" }, "该户结果已保存在本机，网络恢复后自动提交。")];
    }
    return [title, entryForm(state, subject)];
  }

  function entryForm(state, subject) {
    const team = state.teams[subject.code] || [];
    const byId = Object.fromEntries(inspectors.map((i) => [i.resident_id, i]));
    const ownItems = state.task.item_details.filter((i) => i.department_code === me.department_code);
    const box = formErrorBox();
    const checks = (name, entries, checked) => h("div", { class: "checks" }, entries.map(([value, label], n) => h("label",
      { class: "check" }, h("input", { type: "checkbox", name, value, checked: checked(value, n) }), label)));
    const items = fieldset("item_ids", "检查事项", checks("item_ids", ownItems.map((i) => [i.id, i.name]), () => true));
    const methods = fieldset("methods", "检查方式", checks("methods", options.methods.map((m) => [m.code, m.name]),
      (v) => v === "on_site"));
    const people = fieldset("inspector_ids", "参加检查人员（不少于 2 名，含组长）", checks("inspector_ids",
      team.map((id, n) => [id, `${byId[id]?.name || id}${n === 0 ? "（组长）" : ""}`]), () => true));
    const outcome = field({ label: "检查结果", name: "outcome", required: true, control: h("select", { name: "outcome" },
      options.outcomes.map((o) => h("option", { value: o.code }, o.name))) });
    const findings = field({ label: "检查情况", name: "findings", type: "textarea", attrs: { maxlength: 2000 } });
    const measures = field({ label: "处理措施", name: "measures", type: "textarea", attrs: { maxlength: 2000 },
      hint: "当场责令改正的，记录整改情况" });
    const transferred = field({ label: "接收机关及案件编号", name: "transferred_to", attrs: { maxlength: 200 },
      hint: "移交立案查处或移送司法机关的填写" });
    const note = field({ label: "内部备注（不公示）", name: "confidential_note", type: "textarea",
      attrs: { maxlength: 2000 } });
    const day = field({ label: "检查日期", name: "inspected_on", type: "date", required: true,
      attrs: { value: state.task.agreed_day || "", min: state.task.agreed_day || "" } });
    const form = h("form", { class: "result-form", novalidate: true }, box, outcome.wrap, findings.wrap,
      measures.wrap, transferred.wrap, items, methods, people, day.wrap, note.wrap,
      h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "保存并录入下一户"),
        h("span", { class: "hint" }, "Ctrl+Enter 保存")));
    outcome.input.setAttribute("data-focus-after", "");
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((c) => c.value);
      const body = {
        subject_code: subject.code, item_ids: values("item_ids"), methods: values("methods"),
        outcome: outcome.input.value, findings: findings.input.value.trim(), measures: measures.input.value.trim(),
        transferred_to: transferred.input.value.trim(), confidential_note: note.input.value.trim(),
        inspector_ids: values("inspector_ids"), inspected_on: day.input.value,
      };
      if (!body.inspected_on) {
        showFormError(form, box, new ApiError(422, "invalid", "请选择检查日期。", { field: "inspected_on" }));
        return;
      }
      busy(form, async () => {
        clearFormError(form, box);
        const key = newKey();
        unsent.add({ key, taskId, body });
        const { sent, refused } = await sendUnsent();
        const mine = refused.find((r) => r.entry.key === key);
        if (mine) {
          showFormError(form, box, mine.error);
          return;
        }
        selected = nextSubject(state, subject.code);
        if (unsent.all().some((e) => e.key === key)) { // no network: shown from what was read, kept here
          show();
          showNotice("网络不可用：该户结果已保存在本机，网络恢复后自动提交。");
          return;
        }
        await done(`已保存 ${sent} 户检查结果。`);
      });
    });
    return form;
  }

  /** Publish, or first review where the department's setting asks for it, or correct once published. */
  function nextStep(result) {
    if (result.published_at) return correctionForm(result);
    if (!result.review_required || result.approved_by) return publishForm(result);
    const approver = (me.roles || []).includes("approver") && me.username !== result.recorded_by;
    return approver ? approveForm(result)
      : h("p", { class: "muted" }, "本部门的结果须经审核人审核后公示，请联系本部门负责人审核。");
  }

  function approveForm(result) {
    return oneClickForm(result, `由 ${result.recorded_by} 录入，待审核。`, "审核通过", "approval",
      () => "已审核通过，可以公示。");
  }

  function publishForm(result) {
    return oneClickForm(result, `应于 ${date(result.publish_deadline)} 前公示。`, "公示该结果", "publication",
      (answer) => (answer.late ? "已公示（已超过公示期限）。" : "已公示。"));
  }

  /** A one-button command on a result (POST /results/{id}/<step>), then the page re-read on that subject. */
  function oneClickForm(result, intro, label, step, message) {
    const send = commandSender();
    const box = formErrorBox();
    const form = h("form", { class: "action" }, box, h("p", {}, intro),
      h("button", { type: "submit", class: "primary", "data-focus-after": "" }, label));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/results/${result.result_id}/${step}`);
          selected = result.subject_code;
          await done(message(answer));
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function publishAllForm(all) {
    const unpublished = all.filter((r) => !r.review_required || r.approved_by);
    if (!unpublished.length) return null;
    const box = formErrorBox();
    const form = h("form", { class: "action inline" }, box,
      h("button", { type: "submit", class: "secondary" }, `公示全部已录入结果（${unpublished.length} 条）`));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!window.confirm(`公示后结果不能修改，只能经批准更正。确定公示 ${unpublished.length} 条结果？`)) return;
      busy(form, async () => {
        try {
          for (const r of unpublished) { // one key per result: a retry after a failure publishes nothing twice
            await api("POST", `/results/${r.result_id}/publication`, { idempotencyKey: `publish-${r.result_id}` });
          }
          await done(`已公示 ${unpublished.length} 条结果。`);
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function correctionForm(result) {
    const send = commandSender();
    const box = formErrorBox();
    const reason = field({ label: "更正理由", name: "reason", type: "textarea", required: true,
      attrs: { maxlength: 1000 } });
    const approver = field({ label: "批准人（本部门负责人用户名）", name: "approver", required: true,
      attrs: { maxlength: 64, autocomplete: "off" } });
    const outcome = field({ label: "检查结果", name: "outcome", control: h("select", { name: "outcome" },
      options.outcomes.map((o) => h("option", { value: o.code, selected: o.code === result.outcome }, o.name))) });
    const findings = field({ label: "检查情况", name: "findings", type: "textarea", attrs: { maxlength: 2000 } });
    findings.input.value = result.findings;
    const measures = field({ label: "处理措施", name: "measures", type: "textarea", attrs: { maxlength: 2000 } });
    measures.input.value = result.measures;
    const form = h("form", { class: "action correction", novalidate: true },
      h("h3", {}, "更正已公示的结果"), h("p", { class: "hint" }, "公示的结果不能修改；更正将公示新版本，原版本保留在历史中。"),
      box, reason.wrap, approver.wrap, outcome.wrap, findings.wrap, measures.wrap,
      h("button", { type: "submit", class: "primary" }, "提交更正"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const changes = {};
      if (outcome.input.value !== result.outcome) changes.outcome = outcome.input.value;
      if (findings.input.value.trim() !== result.findings) changes.findings = findings.input.value.trim();
      if (measures.input.value.trim() !== result.measures) changes.measures = measures.input.value.trim();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/results/${result.result_id}/corrections`, {
            reason: reason.input.value.trim(), approver: approver.input.value.trim(), changes });
          selected = result.subject_code;
          await done(`已更正，现公示第 ${answer.version} 版。`);
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  // An entry saved while offline is sent when the network is back, while this page is open.
  const online = () => {
    if (!ctx.isCurrent()) {
      window.removeEventListener("online", online);
      return;
    }
    sendUnsent().then(({ sent }) => (sent ? done(`网络已恢复，已提交 ${sent} 户检查结果。`) : null)).catch(() => {});
  };
  window.addEventListener("online", online);
  await sendUnsent().catch(() => {});
  await load();
  return h("div", {}, changedElsewhereBar(taskId, () => load().catch(showAlert), subscribe), root);

  function othersResults(results) {
    return h("section", { class: "card" }, h("h2", {}, "检查结果"), resultsTable(results.items, names));
  }
}

function fieldset(name, legend, control) {
  return h("fieldset", { class: "field", "data-field": name }, h("legend", {}, legend), control,
    h("p", { class: "field-error" }));
}

/** One result as its department sees it (confidential fields only when given). */
function resultCard(r, own) {
  const row = (label, value) => (value ? h("div", {}, h("dt", {}, label), h("dd", {}, value)) : null);
  return h("dl", { class: "facts result-card" },
    row("检查结果", r.outcome_name), row("检查事项", r.items.join("、")), row("检查方式", r.method_names.join("、")),
    row("检查情况", r.findings), row("处理措施", r.measures), own ? row("接收机关及案件编号", r.transferred_to) : null,
    row("检查日期", date(r.inspected_on)),
    row("参加检查人员", r.inspectors.map((i) => `${i.name}（${i.certificate_no || "无证号"}）`).join("、")),
    own ? row("内部备注（不公示）", r.confidential_note) : null,
    r.review_required ? row("审核", r.approved_by ? `已由 ${r.approved_by} 审核` : "待审核") : null,
    r.report_late ? row("报送", "逾期报送") : null,
    row("公示期限", date(r.publish_deadline)),
    row("公示时间", r.published_at ? `${dateTime(r.published_at)}${r.late ? "（逾期公示）" : ""}` : "未公示"),
    r.version > 1 ? row("版本", `第 ${r.version} 版，更正于 ${dateTime(r.corrected_at)}`) : null);
}

function resultsTable(items, names) {
  if (!items.length) return h("p", { class: "empty" }, "尚无检查结果。");
  return h("div", { class: "table-scroll" }, h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, ["部门", "检查对象", "检查结果", "检查日期", "公示"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((r) => h("tr", {}, h("td", {}, names[r.department] || r.department),
      h("td", {}, `${r.subject_name} ${r.subject_code}`), h("td", {}, r.outcome_name), h("td", {}, date(r.inspected_on)),
      h("td", {}, r.published_at ? dateTime(r.published_at) : "未公示"))))));
}
