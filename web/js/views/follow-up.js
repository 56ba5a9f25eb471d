// 结果督办与企业诉求 (#/tasks/{id}/follow-up): after the visit, each joining department's results recorded and
// published; the lead reminds those behind (催办, R-JOINT-9, 004 §48); a joining department records what the
// enterprise asked during the visit — answered on the spot, or owned with a 7-working-day clock (004 §47); once the
// task is complete, the lead seals each subject's archive file and the parties download it (R-ARCH-1).
import { api, commandSender, lastPosition, session } from "../api.js";
import { field, h, replace } from "../dom.js";
import { date, dateTime, taskNumber } from "../format.js";
import { busy, dueBadge, formErrorBox, heading, showAlert, showFormError, showNotice } from "../ui.js";
import { download } from "./oversight-common.js";

export async function followUpView(ctx) {
  const taskId = ctx.arg;
  const me = session.get();
  const root = h("div", {});

  async function load() {
    const [task, progress, requests, archives] = await Promise.all([
      api("GET", `/joint-tasks/${taskId}`), api("GET", `/joint-tasks/${taskId}/result-progress`),
      api("GET", "/requests", { query: { task_id: taskId, min_position: lastPosition(), page_size: 200 } }),
      api("GET", `/joint-tasks/${taskId}/archives`)]);
    if (!ctx.isCurrent()) return;
    document.title = `结果督办 - ${task.title}`;
    replace(root, ...page(task, progress, requests), archiveCard(task, archives));
  }

  function page(task, progress, requests) {
    const lead = task.lead_department.code === me.department_code;
    const behind = progress.items.filter((p) => p.behind && p.department_code !== task.lead_department.code);
    return [
      h("p", { class: "muted" }, `${taskNumber(task)} ${task.title}；联合检查日 ${date(task.agreed_day)}`),
      h("section", { class: "card" }, h("h2", {}, "各部门结果录入与公示"),
        h("div", { class: "table-scroll" }, h("table", { class: "grid progress" },
          h("thead", {}, h("tr", {}, ["部门", "应录入", "已录入", "已公示", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, progress.items.map((p) => h("tr", { "data-department": p.department_code },
            h("th", { scope: "row" }, p.department_name), h("td", {}, String(p.total)), h("td", {}, String(p.recorded)),
            h("td", {}, String(p.published)), h("td", {}, p.behind ? h("span", { class: "badge due-urgent" }, "未完成")
              : h("span", { class: "badge" }, "已完成"))))))),
        progress.last_chased ? h("p", { class: "muted" }, `上次催办：${dateTime(progress.last_chased.at)}`) : null,
        lead && behind.length ? chaseForm(behind) : null),
      task.participants.includes(me.department_code) ? requestForm(task) : null,
      h("section", { class: "card" }, h("h2", {}, "本部门办理的企业诉求"),
        requests.items.length ? h("ul", { class: "plain requests" }, requests.items.map((r) => h("li", {},
          h("strong", {}, r.subject_name || r.subject_code), "：", r.content, " ",
          r.status === "answered" ? h("span", { class: "badge" }, r.on_spot ? "现场已答复" : "已答复")
            : [h("span", {}, `答复期限 ${date(r.due)} `), dueBadge(r.due_in)])))
          : h("p", { class: "empty" }, "尚无登记的诉求。"),
        h("p", {}, h("a", { href: "#/objections" }, "到“异议与诉求”办理"))),
    ];
  }

  /** 档案 (R-ARCH-1): once every result is published, the lead seals one file per subject; anyone party downloads. */
  function archiveCard(task, archives) {
    const lead = task.lead_department.code === me.department_code;
    const pending = archives.subjects - archives.items.length;
    const rows = archives.items.map((a) => h("tr", { "data-subject": a.subject_code },
      h("td", { class: "mono" }, a.subject_code), h("td", {}, dateTime(a.archived_at)),
      h("td", { class: "mono hash" }, a.sha256.slice(0, 16), "…"),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: (event) => {
        download(`/joint-tasks/${taskId}/archives/${encodeURIComponent(a.subject_code)}`, {},
          `archive-${a.subject_code}.zip`).then((name) => showNotice(`已下载 ${name}。`)).catch(showAlert);
        event.currentTarget.blur();
      } }, "下载档案"))));
    return h("section", { class: "card archives" }, h("h2", {}, "档案"),
      archives.archive_due ? h("p", {}, `任务已完成，应于 ${date(archives.archive_due)} 前将每户检查对象的档案归档；`
        + `已归档 ${archives.items.length} / ${archives.subjects} 户。`)
        : h("p", { class: "muted" }, "各参加部门公示全部检查结果、任务完成后，由牵头部门归档（完成后 30 个工作日内）。"),
      rows.length ? h("div", { class: "table-scroll" }, h("table", { class: "grid archive-list" },
        h("thead", {}, h("tr", {}, ["检查对象", "归档时间", "SHA-256", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows))) : null,
      lead && archives.archive_due && pending > 0 ? archiveForm(pending) : null);
  }

  function archiveForm(pending) {
    const send = commandSender();
    const box = formErrorBox();
    const form = h("form", { class: "action", novalidate: true, "aria-label": "归档" }, box,
      h("p", { class: "hint" }, "归档后档案不可更改：每户一个文件，含任务、抽取记录、告知书、各部门结果及全部版本、异议和诉求，附各部分的校验值。"),
      h("button", { type: "submit", class: "primary" }, `归档（${pending} 户）`));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/joint-tasks/${taskId}/archives`);
          showNotice(`已归档 ${answer.archived.length} 户检查对象的档案。`);
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function chaseForm(behind) {
    const send = commandSender();
    const box = formErrorBox();
    const form = h("form", { class: "action", novalidate: true, "aria-label": "催办" }, box,
      h("p", {}, `${behind.map((p) => p.department_name).join("、")}尚未录入或公示全部检查结果。`),
      h("button", { type: "submit", class: "primary" }, "催办"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/joint-tasks/${taskId}/chase`);
          showNotice(`已催办 ${answer.departments.length} 个部门。`);
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return form;
  }

  function requestForm(task) {
    const send = commandSender();
    const box = formErrorBox();
    const subject = field({ label: "检查对象", name: "subject_code", required: true, control: h("select", { name: "subject_code" },
      h("option", { value: "" }, "请选择"), (task.drawn_subjects || []).map((s) => h("option", { value: s.code || s },
        s.name ? `${s.name}（${s.code}）` : s))) });
    const content = field({ label: "诉求内容", name: "content", type: "textarea", required: true, attrs: { maxlength: 2000 } });
    const onSpot = field({ label: "现场答复（已当场解决的填写；不填则 7 个工作日内答复）", name: "on_spot_answer",
      type: "textarea", attrs: { maxlength: 2000 } });
    const form = h("form", { class: "action", novalidate: true, "aria-label": "登记企业诉求" },
      h("h2", {}, "登记企业诉求"), box, subject.wrap, content.wrap, onSpot.wrap,
      h("button", { type: "submit", class: "primary" }, "登记"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        try {
          const answer = await send("POST", `/joint-tasks/${taskId}/requests`, { subject_code: subject.input.value,
            content: content.input.value.trim(), on_spot_answer: onSpot.input.value.trim() });
          showNotice(answer.due ? `已登记，${date(answer.due)} 前答复。` : "已登记（现场已答复）。");
          await load();
        } catch (error) {
          showFormError(form, box, error);
        }
      });
    });
    return h("section", { class: "card" }, form);
  }

  await load().catch(showAlert);
  return h("section", {}, h("div", { class: "page-head" }, heading("结果督办与企业诉求"),
    h("a", { href: `#/tasks/${taskId}`, class: "button secondary" }, "返回任务")), root);
}
