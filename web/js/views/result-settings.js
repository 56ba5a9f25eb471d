// 结果公示设置 (#/result-settings, the office): per department, whether an approver reviews each result before it
// is published, and its publication deadline: 20 working days after the inspection (R-PUB-1), or stricter where
// the department's rules say so (003 §15: reported within 5 working days, published within 2 of the report).
import { api, commandSender } from "../api.js";
import { departments } from "../data.js";
import { h, uid } from "../dom.js";
import { busy, formErrorBox, heading, showFormError, showNotice } from "../ui.js";

export async function resultSettingsView(ctx) {
  const list = (await departments()).filter((d) => d.kind !== "office");
  const settings = await Promise.all(list.map((d) => api("GET", `/departments/${d.code}/result-settings`)));
  if (!ctx.isCurrent()) return h("div");
  return h("section", {}, h("div", { class: "page-head" }, heading("结果公示设置")),
    h("p", { class: "muted" }, "默认：检查后 20 个工作日内公示，无需审核。部门规定更严的，可设报送期限（检查后）与公示期限（报送后），"
      + "合计不超过 20 个工作日；设置后录入的结果按新规则计算期限。异议复查结论作出后 7 个工作日内反馈当事人，部门规定允许的可设至 15 个工作日。"),
    h("div", { class: "table-scroll" }, h("table", { class: "grid result-settings" },
      h("thead", {}, h("tr", {}, ["部门", "公示前审核", "报送期限（工作日）", "公示期限（工作日）", "异议复查反馈期限（工作日）", ""].map(
        (t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, list.map((d, n) => row(d, settings[n]))))));
}

function row(department, current) {
  const send = commandSender();
  const box = formErrorBox();
  const id = uid(department.code);
  const review = h("input", { type: "checkbox", id: `${id}-review`, checked: current.review_required,
    "aria-label": `${department.name}公示前审核` });
  const report = h("input", { type: "number", min: 1, max: 20, value: current.report_days ?? "", placeholder: "不设",
    "aria-label": `${department.name}报送期限`, class: "narrow" });
  const publish = h("input", { type: "number", min: 1, max: 20, value: current.publish_days, required: true,
    "aria-label": `${department.name}公示期限`, class: "narrow" });
  const answer = h("input", { type: "number", min: 7, max: 15, value: current.answer_days, required: true,
    "aria-label": `${department.name}异议复查反馈期限`, class: "narrow" });
  const form = h("form", { id: `${id}-form`, novalidate: true }, box,
    h("button", { type: "submit", class: "secondary" }, "保存"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      try {
        await send("PUT", `/departments/${department.code}/result-settings`, {
          review_required: review.checked, report_days: report.value ? Number(report.value) : null,
          publish_days: Number(publish.value), answer_days: Number(answer.value) });
        showNotice(`已保存${department.name}的结果公示设置。`);
      } catch (error) {
        showFormError(form, box, error);
      }
    });
  });
  return h("tr", { "data-department": department.code }, h("th", { scope: "row" }, department.name),
    h("td", {}, review), h("td", {}, report), h("td", {}, publish), h("td", {}, answer),
    h("td", {}, form));
}
