// 异议与诉求 (#/objections): a department's objections to its published results — review within 20 working days
// (upheld, or corrected through a new version with an approver), answer within 7 (or its 15) — and the requests
// of inspected enterprises it owns: answer within 7 working days, or forward to the competent department
// (R-OBJ-1, R-JOINT-9). The office sees every department's, read-only.
import { api, commandSender, lastPosition, session } from "../api.js";
import { departments } from "../data.js";
import { field, h, replace } from "../dom.js";
import { date, dateTime } from "../format.js";
import { busy, dueBadge, formErrorBox, heading, showAlert, showFormError, showNotice } from "../ui.js";

const OBJECTION_STATUS = { received: "待复查", reviewed: "待答复", answered: "已答复" };
const REQUEST_STATUS = { open: "办理中", answered: "已答复" };
const VIA = { enterprise: "企业凭核验码提交", clerk: "书面申请", inspector: "检查人员现场登记" };

export async function objectionsView(ctx) {
  const me = session.get();
  const state = { objectionStatus: ctx.params.get("status") || "", requestStatus: "", selected: null };
  const list = (await departments()).filter((d) => d.kind !== "office" && d.code !== me.department_code);
  const objectionsBox = h("div", { class: "results" });
  const requestsBox = h("div", { class: "results" });
  const detail = h("section", { class: "card detail", hidden: true, "aria-live": "polite" });

  async function load() {
    const [objections, requests] = await Promise.all([
      api("GET", "/objections", { query: { status: state.objectionStatus, min_position: lastPosition(),
        page_size: 200 } }),
      api("GET", "/requests", { query: { status: state.requestStatus, min_position: lastPosition(),
        page_size: 200 } })]);
    if (!ctx.isCurrent()) return;
    replace(objectionsBox, objectionTable(objections));
    replace(requestsBox, requestTable(requests));
    if (state.selected) {
      const [kind, id] = state.selected;
      const row = (kind === "objection" ? objections : requests).items.find((r) => (r.objection_id || r.request_id) === id);
      if (row) show(kind, row); else detail.hidden = true;
    }
  }

  function statusFilter(label, options, key) {
    const select = h("select", { "aria-label": label }, h("option", { value: "" }, "全部"),
      Object.entries(options).map(([v, text]) => h("option", { value: v, selected: state[key] === v }, text)));
    select.addEventListener("change", () => { state[key] = select.value; load().catch(showAlert); });
    return h("div", { class: "filter" }, h("label", {}, label, " ", select));
  }

  function objectionTable(data) {
    if (!data.items.length) return h("p", { class: "empty" }, "没有异议。");
    return h("div", { class: "table-scroll" }, h("table", { class: "grid objections" },
      h("caption", { class: "visually-hidden" }, "检查结果异议"),
      h("thead", {}, h("tr", {}, ["检查对象", isOffice() ? "部门" : null, "收到",
        "状态", "期限", ""].filter((t) => t !== null).map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, data.items.map((o) => h("tr", { "data-objection-id": o.objection_id },
        h("td", {}, o.subject_name || o.subject_code, h("div", { class: "muted" }, o.subject_code)),
        isOffice() ? h("td", {}, o.department_name) : null,
        h("td", {}, dateTime(o.lodged_at)), h("td", {}, OBJECTION_STATUS[o.status] || o.status),
        h("td", {}, o.due ? date(o.due) : "—", " ", dueBadge(o.due_in)),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => show("objection", o) },
          o.status === "answered" || !mine(o) ? "查看" : "办理")))))));
  }

  function requestTable(data) {
    if (!data.items.length) return h("p", { class: "empty" }, "没有诉求。");
    return h("div", { class: "table-scroll" }, h("table", { class: "grid requests" },
      h("caption", { class: "visually-hidden" }, "企业诉求"),
      h("thead", {}, h("tr", {}, ["检查对象", "诉求内容", "办理部门", "状态", "期限", ""].map(
        (t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, data.items.map((r) => h("tr", { "data-request-id": r.request_id },
        h("td", {}, r.subject_name || r.subject_code), h("td", {}, r.content),
        h("td", {}, r.department_name, r.forwarded ? h("div", { class: "muted" }, `由${r.raised_department_name}转交`) : null),
        h("td", {}, REQUEST_STATUS[r.status] || r.status, r.on_spot ? h("div", { class: "muted" }, "现场已答复") : null),
        h("td", {}, r.due ? date(r.due) : "—", " ", dueBadge(r.due_in)),
        h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => show("request", r) },
          r.status === "answered" || !mine(r) ? "查看" : "办理")))))));
  }

  const isOffice = () => (me.roles || []).includes("office");
  const mine = (row) => row.department === me.department_code;

  function show(kind, row) {
    state.selected = [kind, kind === "objection" ? row.objection_id : row.request_id];
    replace(detail, ...(kind === "objection" ? objectionDetail(row) : requestDetail(row)));
    detail.hidden = false;
    detail.querySelector("h2").focus();
  }

  function objectionDetail(o) {
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "检查对象"), h("dd", {}, `${o.subject_name}（${o.subject_code}）`),
      h("dt", {}, "异议的结果"), h("dd", {}, h("a", { href: `#/tasks/${o.task_id}/results?subject=${encodeURIComponent(o.subject_code)}` },
        `第 ${o.result_version} 版检查结果`)),
      h("dt", {}, "来源"), h("dd", {}, VIA[o.via] || o.via),
      h("dt", {}, "异议理由"), h("dd", {}, o.reason),
      h("dt", {}, "联系人"), h("dd", {}, `${o.contact.name}　${o.contact.phone}`),
      h("dt", {}, "复查期限"), h("dd", {}, date(o.review_due), o.review_late ? "（逾期复查）" : ""),
      o.decision ? [h("dt", {}, "复查结论"), h("dd", {}, o.decision === "upheld" ? "维持原结果" : `更正结果（第 ${o.correction_version} 版）`,
        "：", o.opinion)] : null,
      o.answer_due ? [h("dt", {}, "答复期限"), h("dd", {}, date(o.answer_due))] : null,
      o.answer ? [h("dt", {}, "答复"), h("dd", {}, o.answer, o.answer_late ? "（逾期答复）" : "")] : null);
    const forms = !mine(o) ? [] : o.status === "received" ? [reviewForm(o)] : o.status === "reviewed" ? [answerForm(
      `/objections/${o.objection_id}/answer`, "答复当事人", "已答复当事人。")] : [];
    return [h("h2", { tabindex: "-1" }, "异议详情"), facts, ...forms];
  }

  function reviewForm(o) {
    const send = commandSender();
    const box = formErrorBox();
    const upheld = h("input", { type: "radio", name: "decision", value: "upheld", checked: true, id: "decision-upheld" });
    const corrected = h("input", { type: "radio", name: "decision", value: "corrected", id: "decision-corrected" });
    const opinion = field({ label: "复查意见", name: "opinion", type: "textarea", required: true, attrs: { maxlength: 2000 } });
    const findings = field({ label: "更正后的检查情况", name: "findings", type: "textarea", attrs: { maxlength: 2000 } });
    const reason = field({ label: "更正理由", name: "reason", attrs: { maxlength: 1000, value: "异议复查更正" } });
    const approver = field({ label: "批准人（本部门负责人用户名）", name: "approver", attrs: { maxlength: 64, autocomplete: "off" } });
    const correction = h("div", { class: "correction-fields", hidden: true }, findings.wrap, reason.wrap, approver.wrap);
    const toggle = () => { correction.hidden = !corrected.checked; };
    upheld.addEventListener("change", toggle);
    corrected.addEventListener("change", toggle);
    const form = h("form", { class: "action", novalidate: true, "aria-label": "复查" }, h("h3", {}, "复查结论"), box,
      h("fieldset", { class: "field", "data-field": "decision" }, h("legend", {}, "结论"),
        h("label", { for: upheld.id }, upheld, " 维持原结果"), h("label", { for: corrected.id }, corrected, " 更正结果"),
        h("p", { class: "field-error" })),
      opinion.wrap, correction, h("button", { type: "submit", class: "primary" }, "提交复查结论"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { decision: corrected.checked ? "corrected" : "upheld", opinion: opinion.input.value.trim() };
      if (corrected.checked) {
        body.correction = { changes: { findings: findings.input.value.trim() }, reason: reason.input.value.trim(),
          approver: approver.input.value.trim() };
      }
      busy(form, async () => {
        try {
          const answer = await send("POST", `/objections/${o.objection_id}/review`, body);
          showNotice(answer.late ? "已提交复查结论（已超过复查期限）。" : "已提交复查结论。");
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function answerForm(path, legend, done) {
    const send = commandSender();
    const box = formErrorBox();
    const answer = field({ label: "答复内容", name: "answer", type: "textarea", required: true, attrs: { maxlength: 2000 } });
    const form = h("form", { class: "action", novalidate: true, "aria-label": legend }, h("h3", {}, legend), box,
      answer.wrap, h("button", { type: "submit", class: "primary" }, "提交答复"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const result = await send("POST", path, { answer: answer.input.value.trim() });
          showNotice(result.late ? `${done}（已逾期）` : done);
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function requestDetail(r) {
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "检查对象"), h("dd", {}, `${r.subject_name}（${r.subject_code}）`),
      h("dt", {}, "来源"), h("dd", {}, VIA[r.via] || r.via),
      h("dt", {}, "诉求内容"), h("dd", {}, r.content),
      r.contact?.name ? [h("dt", {}, "联系人"), h("dd", {}, `${r.contact.name}　${r.contact.phone || ""}`)] : null,
      h("dt", {}, "提出时间"), h("dd", {}, dateTime(r.raised_at)),
      r.due ? [h("dt", {}, "答复期限"), h("dd", {}, date(r.due))] : null,
      r.answer ? [h("dt", {}, r.on_spot ? "现场答复" : "答复"), h("dd", {}, r.answer, r.late ? "（逾期答复）" : "")] : null);
    const forms = mine(r) && r.status === "open"
      ? [answerForm(`/requests/${r.request_id}/answer`, "答复企业", "已答复企业。"), forwardForm(r)] : [];
    return [h("h2", { tabindex: "-1" }, "诉求详情"), facts, ...forms];
  }

  function forwardForm(r) {
    const send = commandSender();
    const box = formErrorBox();
    const to = field({ label: "转交给", name: "to_department", required: true, control: h("select", { name: "to_department" },
      h("option", { value: "" }, "请选择主管部门"), list.map((d) => h("option", { value: d.code }, d.name))) });
    const note = field({ label: "转交说明", name: "note", required: true, attrs: { maxlength: 1000 } });
    const form = h("form", { class: "action", novalidate: true, "aria-label": "转交主管部门" },
      h("h3", {}, "不属本部门职能：转交主管部门"), box, to.wrap, note.wrap,
      h("p", { class: "hint" }, "转交后由主管部门办理，自转交之日起 7 个工作日内答复。"),
      h("button", { type: "submit", class: "secondary" }, "转交"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          await send("POST", `/requests/${r.request_id}/forward`, { to_department: to.input.value,
            note: note.input.value.trim() });
          showNotice("已转交。");
          state.selected = null;
          detail.hidden = true;
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  await load();
  return h("section", {}, h("div", { class: "page-head" }, heading("异议与诉求")),
    h("p", { class: "muted" }, "检查对象对公示结果的异议：收到之日起 20 个工作日内复查，复查结论作出后 7 个工作日内答复（部门规定可为 15 个）。"
      + "企业诉求：现场不能解决的 7 个工作日内答复，不属本部门职能的转交主管部门。"),
    h("section", { class: "card" }, h("h2", {}, "检查结果异议"),
      statusFilter("异议状态", OBJECTION_STATUS, "objectionStatus"), objectionsBox),
    h("section", { class: "card" }, h("h2", {}, "企业诉求"), statusFilter("诉求状态", REQUEST_STATUS, "requestStatus"),
      requestsBox),
    detail);
}
