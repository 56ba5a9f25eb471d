// 联合检查告知书 (#/tasks/{id}/visit-notices): the lead issues one combined notice per drawn subject before the
// joint visit, and anyone party to the task prints them, one A4 page each: the day, every joining department's items
// and the documents to prepare, the visitors' public identity, a notice number and a verification code (R-EXEC-3).
// A task with an unannounced item gets none: the server refuses, and the page says why.
import { api, commandSender, session } from "../api.js";
import { subscribe } from "../live.js";
import { h, replace } from "../dom.js";
import { date, dateTime, taskNumber } from "../format.js";
import {
  busy, changedElsewhereBar, formErrorBox, heading, reloadAfterCommand, showAlert, showFormError,
} from "../ui.js";

export async function visitNoticesView(ctx) {
  const taskId = ctx.arg;
  const root = h("div", { class: "visit-notices" });
  const me = session.get();

  async function load() {
    const [task, notices] = await Promise.all([
      api("GET", `/joint-tasks/${taskId}`), api("GET", `/joint-tasks/${taskId}/visit-notices`)]);
    if (!ctx.isCurrent()) return;
    document.title = `联合检查告知书 - ${task.title}`;
    replace(root,
      h("div", { class: "page-head no-print" }, heading("联合检查告知书"),
        h("a", { href: `#/tasks/${taskId}`, class: "button secondary" }, "返回任务")),
      h("p", { class: "muted no-print" }, `${taskNumber(task)} ${task.title}`),
      notices.issued ? printable(notices) : issueForm(task));
  }

  function issueForm(task) {
    const lead = task.lead_department.code === me.department_code || session.isOffice();
    if (!lead) return h("p", { class: "empty" }, "牵头部门尚未发出联合检查告知书。");
    const send = commandSender();
    const box = formErrorBox();
    const form = h("form", { class: "action" }, box,
      h("p", {}, `向 ${task.drawn_subjects.length} 户检查对象各发出一份联合检查告知书，告知检查日 ${date(task.agreed_day)}、`
        + "各部门检查事项、需准备的材料和检查人员身份。含“不预先告知”事项的任务不发告知书。"),
      h("button", { type: "submit", class: "primary", "data-focus-after": "" }, "发出联合检查告知书"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/joint-tasks/${taskId}/visit-notices`);
          await reloadAfterCommand(ctx, root, load, `已发出 ${answer.notices.length} 份联合检查告知书。`);
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  await load();
  return h("div", {}, changedElsewhereBar(taskId, () => load().catch(showAlert), subscribe), root);
}

function printable(data) {
  return h("div", {},
    h("div", { class: "actions no-print" },
      h("button", { type: "button", class: "primary", onclick: () => window.print() }, `打印告知书（${data.total} 份）`)),
    data.items.map((n) => h("article", { class: "visit-notice", "data-subject": n.subject_code },
      h("h2", { class: "notice-title" }, "联合检查告知书"),
      h("p", { class: "notice-number" }, n.number),
      h("p", {}, h("strong", {}, `${n.subject_name || ""}（统一社会信用代码：${n.subject_code}）：`)),
      h("p", {}, `根据部门联合“双随机、一公开”监管工作安排，${data.lead_department_name}牵头，会同下列部门，定于 `,
        h("strong", {}, date(n.day)), " 对你单位开展一次联合检查（进一次门、查多项事）。请做好以下准备，并安排熟悉情况的人员配合。"),
      n.departments.map((d) => h("section", { class: "notice-department" },
        h("h3", {}, d.department_name),
        h("ul", {}, d.items.map((i) => h("li", {}, h("strong", {}, i.name), `：${i.content}`,
          h("div", { class: "muted" }, `依据：${i.legal_basis}`),
          h("div", {}, `需准备：${i.documents.join("；")}`)))))),
      h("h3", {}, "检查人员"),
      h("table", { class: "grid notice-inspectors" },
        h("thead", {}, h("tr", {}, ["姓名", "所属部门", "执法证号", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, n.inspectors.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, i.department_name),
          h("td", {}, i.certificate_no), h("td", {}, i.leader ? "检查组组长" : ""))))),
      h("div", { class: "notice-code" },
        h("img", { class: "notice-qr", src: n.qr_svg, alt: "扫码查询告知书和来访检查人员", width: 96, height: 96 }),
        h("p", {}, "检查人员应出示执法证件；可扫描二维码，或访问本平台“检查对象查询”页，凭核验码 ",
          h("span", { class: "mono" }, n.verification_code),
          " 和统一社会信用代码核实来访检查人员，日后查询检查结果、提出异议或诉求。")),
      h("p", { class: "notice-date" }, `${data.lead_department_name}（代章）  ${dateTime(n.issued_at).slice(0, 10)}`))));
}
