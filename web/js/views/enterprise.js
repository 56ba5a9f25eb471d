// 检查对象查询 (#/visit, no login; the QR code on a visit notice opens #/visit?code=…): the inspected enterprise
// enters its notice's verification code and its registration code and sees the notice, who comes (to check the
// people at the door), the results published about it, and objects to one (R-OBJ-1) or raises a request
// (R-JOINT-9). Nothing of an unannounced visit has a code before it happens (R-EXEC-3).
import { api, commandSender, lastPosition } from "../api.js";
import { field, h, replace } from "../dom.js";
import { date, dateTime } from "../format.js";
import { busy, clearFormError, formErrorBox, heading, showFormError } from "../ui.js";

const OBJECTION_STATUS = { received: "已受理，复查中", reviewed: "已复查，待答复", answered: "已答复" };
const DECISION = { upheld: "维持原结果", corrected: "更正结果" };
const REQUEST_STATUS = { open: "办理中", answered: "已答复" };

export async function enterpriseView(ctx) {
  const root = h("div", { class: "visit-view" });
  const code = field({ label: "核验码", name: "code", required: true,
    hint: "联合检查告知书上的 16 位核验码（扫描告知书上的二维码可自动填入）。",
    attrs: { maxlength: 32, autocomplete: "off", spellcheck: "false", class: "mono",
      value: (ctx.params.get("code") || "").slice(0, 32) } });
  const subject = field({ label: "统一社会信用代码", name: "subject_code", required: true,
    attrs: { maxlength: 32, autocomplete: "off", spellcheck: "false", class: "mono" } });
  (code.input.value ? subject : code).input.dataset.autofocus = "1";
  const box = formErrorBox();
  const form = h("form", { class: "action", novalidate: true, "aria-label": "凭告知书查询" }, box, code.wrap,
    subject.wrap, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "查询")));
  let proof = null; // {code, subject_code} once the server accepted them

  async function load() {
    // after its own objection or request: read as of that command's position
    const view = await api("POST", "/public/visits/lookup", { body: proof, anonymous: true,
      query: { min_position: lastPosition() } });
    if (!ctx.isCurrent()) return;
    replace(root, ...visit(view));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, box);
      const body = { code: code.input.value.trim().toUpperCase(), subject_code: subject.input.value.trim().toUpperCase() };
      if (!body.code || !body.subject_code) {
        showFormError(form, box, { message: "请填写核验码和统一社会信用代码。",
          details: [{ field: !body.code ? "code" : "subject_code", message: "必填" }] });
        return;
      }
      proof = body;
      try {
        await load();
        root.querySelector("h2")?.focus();
      } catch (error) {
        proof = null;
        replace(root);
        showFormError(form, box, error);
      }
    });
  });

  function visit(view) {
    const notice = view.notice;
    return [
      h("section", { class: "card", "aria-labelledby": "visit-notice-title" },
        h("h2", { id: "visit-notice-title", tabindex: "-1" }, `联合检查告知书 ${notice.number}`),
        h("p", {}, `${notice.subject_name}（${notice.subject_code}）：${view.task.lead_department_name}牵头的“${view.task.title}”`
          + `定于 ${date(notice.day)} 实施联合检查。`),
        view.task.cancelled ? h("p", { class: "badge overdue" }, "该任务已撤销。") : null,
        h("h3", {}, "检查事项与需准备的材料"),
        h("ul", { class: "plain" }, notice.departments.map((d) => h("li", {}, h("strong", {}, d.department_name), "：",
          d.items.map((i) => `${i.name}（依据：${i.legal_basis || "—"}；请准备：${(i.documents || []).join("；")}）`).join("；")))),
        h("h3", {}, "来访检查人员（请核对执法证件）"),
        h("div", { class: "table-scroll" }, h("table", { class: "grid visitors" },
          h("thead", {}, h("tr", {}, ["姓名", "部门", "执法证号", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, notice.inspectors.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, i.department_name),
            h("td", { class: "mono" }, i.certificate_no), h("td", {}, i.leader ? "组长" : ""))))))),
      resultsCard(view),
      objectionsCard(view),
      requestsCard(view),
      view.expires_on ? h("p", { class: "muted" }, `本核验码有效期至 ${date(view.expires_on)}（最后一项结果公示满 60 个工作日）。`)
        : null,
    ];
  }

  function resultsCard(view) {
    if (!view.results.length) {
      return h("section", { class: "card" }, h("h2", {}, "检查结果"),
        h("p", { class: "empty" }, "尚无公示的检查结果。各部门应在检查后 20 个工作日内公示。"));
    }
    const pending = new Set(view.objections.filter((o) => o.status !== "answered").map((o) => o.result_id));
    return h("section", { class: "card" }, h("h2", {}, "检查结果"),
      h("div", { class: "table-scroll" }, h("table", { class: "grid visit-results" },
        h("thead", {}, h("tr", {}, ["检查部门", "检查事项", "检查结果", "检查情况", "公示日期", "异议"].map(
          (t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, view.results.map((r) => h("tr", { "data-result-id": r.result_id },
          h("td", {}, r.department_name), h("td", {}, r.items.join("、")),
          h("td", {}, r.outcome_name, r.version > 1 ? h("div", { class: "badge muted" }, `第 ${r.version} 版`) : null),
          h("td", {}, [r.findings, r.measures].filter(Boolean).join("；")), h("td", {}, date(r.published_at)),
          h("td", {}, pending.has(r.result_id) ? "异议办理中"
            : r.objection_open ? objectionButton(r) : `已于 ${date(r.objection_closes_on)} 截止`)))))));
  }

  function objectionButton(result) {
    const button = h("button", { type: "button", class: "secondary" }, "提出异议");
    button.addEventListener("click", () => {
      const row = button.closest("tr");
      if (row.nextElementSibling?.classList.contains("objection-row")) return;
      const cell = h("td", { colspan: 6 }, objectionForm(result));
      row.after(h("tr", { class: "objection-row" }, cell));
      cell.querySelector("textarea").focus();
    });
    return h("div", {}, button, h("div", { class: "hint" }, `可于 ${date(result.objection_closes_on)} 前提出`));
  }

  function contactFields() {
    return [field({ label: "联系人", name: "contact_name", required: true, attrs: { maxlength: 100 } }),
      field({ label: "联系电话或地址", name: "contact_phone", required: true, attrs: { maxlength: 100 } })];
  }

  function objectionForm(result) {
    const send = commandSender({ anonymous: true }); // the enterprise has no account
    const box = formErrorBox();
    const reason = field({ label: `对${result.department_name}检查结果的异议理由`, name: "reason", type: "textarea",
      required: true, attrs: { maxlength: 2000 } });
    const [name, phone] = contactFields();
    const form = h("form", { class: "action", novalidate: true }, box, reason.wrap, name.wrap, phone.wrap,
      h("p", { class: "hint" }, "部门自收到之日起 20 个工作日内复查，复查结论作出后 7 个工作日内答复；联系方式不公开。"),
      h("button", { type: "submit", class: "primary" }, "提交异议"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", "/public/visits/objections", { ...proof, result_id: result.result_id,
            reason: reason.input.value.trim(), contact_name: name.input.value.trim(),
            contact_phone: phone.input.value.trim() });
          await load();
          announce(`异议已提交，${date(answer.review_due)} 前完成复查。`);
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function objectionsCard(view) {
    if (!view.objections.length) return null;
    return h("section", { class: "card" }, h("h2", {}, "我的异议"),
      h("ul", { class: "plain objections" }, view.objections.map((o) => h("li", {},
        h("strong", {}, `${o.department_name}：${OBJECTION_STATUS[o.status] || o.status}`),
        h("div", {}, `提出于 ${dateTime(o.lodged_at)}：${o.reason}`),
        o.decision ? h("div", {}, `复查结论：${DECISION[o.decision] || o.decision}`
          + (o.correction_version ? `（已更正为第 ${o.correction_version} 版）` : "")) : null,
        o.answer ? h("div", {}, `答复：${o.answer}`) : h("div", { class: "muted" }, `复查期限 ${date(o.review_due)}`)))));
  }

  function requestsCard(view) {
    const send = commandSender({ anonymous: true }); // the enterprise has no account
    const box = formErrorBox();
    const content = field({ label: "诉求内容", name: "content", type: "textarea", required: true,
      hint: "检查中的意见、困难或需要协调的事项；由牵头部门收集，7 个工作日内答复，不属其职能的转交主管部门。",
      attrs: { maxlength: 2000 } });
    const [name, phone] = contactFields();
    const form = h("form", { class: "action", novalidate: true, "aria-label": "提出诉求" }, box, content.wrap,
      name.wrap, phone.wrap, h("button", { type: "submit", class: "primary" }, "提交诉求"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", "/public/visits/requests", { ...proof, content: content.input.value.trim(),
            contact_name: name.input.value.trim(), contact_phone: phone.input.value.trim() });
          await load();
          announce(`诉求已提交，${date(answer.due)} 前答复。`);
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return h("section", { class: "card" }, h("h2", {}, "诉求"),
      view.requests.length ? h("ul", { class: "plain requests" }, view.requests.map((r) => h("li", {},
        h("strong", {}, `${r.department_name}：${REQUEST_STATUS[r.status] || r.status}`),
        h("div", {}, `${dateTime(r.raised_at)}：${r.content}`),
        r.answer ? h("div", {}, `答复：${r.answer}`) : h("div", { class: "muted" }, `答复期限 ${date(r.due)}`)))) : null,
      form);
  }

  function announce(message) {
    const status = h("p", { class: "notice", role: "status" }, message);
    root.prepend(status);
  }

  return h("section", {}, h("div", { class: "page-head" }, heading("检查对象查询")),
    h("p", { class: "muted" }, "被检查的企业凭联合检查告知书上的核验码，查看告知书和来访检查人员，查询检查结果，提出异议或诉求。"),
    form, root);
}
