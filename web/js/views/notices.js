// 通报 (R-JOINT-4): the office's notices about late responses given without a reason. The list (office: every
// department's, with a department filter; a department: its own, with 签收), and the composer the late-responses
// page opens from a row: fill in → confirm (a visible step, the notice cannot be withdrawn) → POST /notices.
import { api, commandSender, lastPosition, session } from "../api.js";
import { departments } from "../data.js";
import { field, h, replace, uid } from "../dom.js";
import { LATE_STATE, date, dateTime, taskNumber } from "../format.js";
import { coalesce, subscribe } from "../live.js";
import { replaceQuery } from "../router.js";
import { busy, clearFormError, formErrorBox, heading, pagedResults, showAlert, showFormError, showNotice } from "../ui.js";
import { scrollTable } from "./oversight-common.js";

const SIZES = [20, 50, 100];

/** Whether a late-responses row may be the ground of a notice: late (or still overdue) and no reason given. */
export function noticeable(row) {
  return (row.state === "overdue" || row.state === "late") && !row.reason;
}

// ---- the list ----------------------------------------------------------------------------------------------

export async function noticesView(ctx) {
  const office = session.isOffice();
  const me = session.get();
  const page = Number.parseInt(ctx.params.get("page") || "1", 10);
  const size = Number.parseInt(ctx.params.get("size") || "20", 10);
  const state = {
    department: office ? ctx.params.get("department") || "" : "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
    size: SIZES.includes(size) ? size : 20,
  };
  let filters = null;
  if (office) {
    const all = (await departments()).filter((d) => d.kind !== "office");
    const select = h("select", { id: uid("department"), name: "department" },
      h("option", { value: "" }, "全部部门"),
      all.map((d) => h("option", { value: d.code, selected: d.code === state.department }, d.name)));
    filters = h("form", { class: "filters", role: "search", "aria-label": "筛选通报", novalidate: true },
      h("div", { class: "filter" }, h("label", { for: select.id }, "被通报部门"), select),
      h("div", { class: "filter buttons" }, h("button", { type: "submit", class: "primary" }, "查询")));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      state.department = select.value;
      state.page = 1;
      load();
    });
    select.addEventListener("change", () => filters.requestSubmit());
  }

  const { results, load } = pagedResults({
    ctx, state, sizes: SIZES,
    save: () => {
      const params = new URLSearchParams();
      if (state.department) params.set("department", state.department);
      if (state.page !== 1) params.set("page", String(state.page));
      if (state.size !== 20) params.set("size", String(state.size));
      replaceQuery("/notices", params);
    },
    fetchPage: () => api("GET", "/notices", { query: {
      department: state.department, page: state.page, page_size: state.size, min_position: lastPosition() } }),
    render: (items) => table(items, { office, me, reload: () => load() }),
  });
  await load();
  const refresh = coalesce(() => (ctx.isCurrent() ? load() : null), 300);
  subscribe((message) => {
    if (message.type === "resync" || String(message.type || "").startsWith("Notice")) refresh();
  });

  return h("section", {}, heading("通报"),
    h("p", { class: "lead" }, office
      ? "联席会议办公室就逾期且未说明理由的响应向各部门发出的通报，以及各部门的签收情况。新的通报请在“逾期响应”页面对相应记录发出。"
      : `联席会议办公室对${me.department_name}发出的通报。请阅读通报内容并点击“签收”。`),
    filters, results);
}

function table(items, { office, me, reload }) {
  const rows = items.map((n) => {
    const own = n.department === me.department_code;
    const acknowledge = !office && own && !n.acknowledged_at ? ackButton(n, reload) : null;
    return h("tr", { "data-notice-id": n.notice_id, "data-department": n.department },
      h("td", { class: "notice-cell" }, h("div", { class: "notice-subject" }, n.subject),
        h("p", { class: "notice-body" }, n.body)),
      h("td", {}, n.department_name || n.department),
      h("td", {}, h("ul", { class: "plain" }, (n.task_ids || []).map((id) => h("li", {},
        h("a", { href: `#/tasks/${id}` }, taskNumber({ id })))))),
      h("td", { class: "deadline" }, dateTime(n.issued_at)),
      h("td", { class: "ack-cell" }, n.acknowledged_at
        ? h("span", { class: "badge acknowledged" }, `已签收 ${dateTime(n.acknowledged_at)}`)
        : h("span", { class: "badge unacknowledged" }, "未签收"),
      acknowledge));
  });
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 5, class: "empty" }, office
      ? "还没有发出通报。在“逾期响应”页面，对逾期且未说明理由的记录点击“发出通报”。"
      : "本部门没有收到通报。")));
  }
  return scrollTable(h("table", { class: "grid notices-table" },
    h("caption", { class: "visually-hidden" }, "通报列表"),
    h("thead", {}, h("tr", {}, ["通报", "被通报部门", "涉及任务", "发出时间", "签收"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

function ackButton(notice, reload) {
  const send = commandSender();
  const form = h("form", { class: "inline-form" },
    h("button", { type: "submit", class: "primary", "aria-label": `签收通报：${notice.subject}` }, "签收"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      try {
        await send("POST", `/notices/${notice.notice_id}/acknowledgement`);
        showNotice(`已签收通报“${notice.subject}”。`);
        await reload();
      } catch (error) {
        showAlert(error);
      }
    });
  });
  return form;
}

// ---- the composer (opened from the late-responses table) ------------------------------------------------------

function defaultSubject(departmentName) {
  return `关于${departmentName}逾期未响应联合任务且未说明理由的通报`;
}

function defaultBody(departmentName, rows) {
  const lines = rows.map((r, i) => `${i + 1}. 《${r.task_title || r.task_id}》，响应期限 ${date(r.deadline)}，`
    + (r.responded_at ? `${dateTime(r.responded_at)} 才响应` : "至今未响应"));
  return [`${departmentName}：`,
    "经查，你单位对下列联合任务超过响应期限未按时响应，且未说明理由：", ...lines,
    "请认真核查原因，及时办理，并在系统中签收本通报。", "", "联席会议办公室"].join("\n");
}

/**
 * The notice composer: `open(row, rows)` starts a notice to the row's department about that row, offering the
 * department's other qualifying rows of the page as well. `onIssued()` runs after the notice is recorded.
 */
export function noticeComposer({ onIssued }) {
  const titleId = uid("notice-title");
  const panel = h("section", { class: "card notice-composer", "aria-labelledby": titleId, hidden: true });
  let current = null;

  function close() {
    current = null;
    panel.hidden = true;
    replace(panel);
  }

  function open(row, rows) {
    const send = commandSender();
    const candidates = rows.filter((r) => r.department_code === row.department_code && noticeable(r));
    const name = row.department_name || row.department_code;
    current = { department: row.department_code };
    const box = formErrorBox();
    const tasks = candidates.map((r) => {
      const id = uid("notice-task");
      const input = h("input", { type: "checkbox", id, name: "task_ids", value: r.task_id,
        checked: r.task_id === row.task_id });
      return { row: r, input, node: h("div", { class: "check" }, input, h("label", { for: id },
        `${r.task_title || r.task_id}（响应期限 ${date(r.deadline)}，${LATE_STATE[r.state] || r.state}）`)) };
    });
    const chosen = () => tasks.filter((t) => t.input.checked).map((t) => t.row);
    const subject = field({ label: "通报标题", name: "subject", required: true,
      attrs: { value: defaultSubject(name), maxlength: 200 } });
    const body = field({ label: "通报内容", name: "body", type: "textarea", required: true,
      attrs: { maxlength: 5000, rows: 7 } });
    body.input.value = defaultBody(name, chosen());
    body.input.addEventListener("input", () => { body.input.dataset.edited = "1"; });
    for (const t of tasks) {
      t.input.addEventListener("change", () => {
        if (!body.input.dataset.edited) body.input.value = defaultBody(name, chosen());
      });
    }
    const taskSet = h("fieldset", { class: "field", "data-field": "task_ids" },
      h("legend", {}, "涉及任务", h("span", { class: "req", "aria-hidden": "true" }, " *")),
      tasks.map((t) => t.node), h("p", { class: "field-error" }),
      h("p", { class: "hint" }, "只能就逾期且未说明理由的响应发出通报；可一并勾选本页中该部门的其他此类记录。"));
    const editForm = h("form", { class: "notice-edit", novalidate: true },
      h("p", {}, "被通报部门：", h("strong", { class: "notice-department" }, name)),
      taskSet, subject.wrap, body.wrap,
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "下一步：确认通报"),
        h("button", { type: "button", class: "secondary", onclick: close }, "取消")));
    const confirmId = uid("notice-confirm");
    const confirmBox = h("div", { class: "notice-confirm", role: "region", "aria-labelledby": confirmId,
      hidden: true });

    function draft() {
      return { department: row.department_code, subject: subject.input.value.trim(), body: body.input.value.trim(),
        task_ids: chosen().map((r) => r.task_id) };
    }
    function local(message, fieldName) {
      showFormError(editForm, box, { message, details: { field: fieldName } });
    }

    editForm.addEventListener("submit", (event) => {
      event.preventDefault();
      clearFormError(editForm, box);
      const d = draft();
      if (!d.task_ids.length) return local("请至少勾选一个涉及的任务。", "task_ids");
      if (!d.subject) return local("请填写通报标题。", "subject");
      if (!d.body) return local("请填写通报内容。", "body");
      showConfirm(d);
      return undefined;
    });

    function showConfirm(d) {
      const confirmTitle = h("h3", { id: confirmId, tabindex: "-1" }, "请确认通报内容");
      const confirmForm = h("form", { novalidate: true },
        h("div", { class: "actions" },
          h("button", { type: "submit", class: "danger" }, "确认发出通报"),
          h("button", { type: "button", class: "secondary", onclick: backToEdit }, "返回修改")));
      replace(confirmBox, confirmTitle,
        h("p", { class: "warning" }, `通报发出后不能撤回，${name}将在“通报”页面看到并签收。`),
        h("dl", { class: "facts notice-facts" },
          h("dt", {}, "被通报部门"), h("dd", {}, name),
          h("dt", {}, "通报标题"), h("dd", {}, d.subject),
          h("dt", { class: "wide" }, "涉及任务"), h("dd", { class: "wide" }, h("ul", { class: "plain" },
            chosen().map((r) => h("li", {}, r.task_title || r.task_id)))),
          h("dt", { class: "wide" }, "通报内容"), h("dd", { class: "wide notice-body" }, d.body)),
        confirmForm);
      confirmForm.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(confirmForm, async () => {
          try {
            await send("POST", "/notices", d);
            close();
            showNotice(`已向${name}发出通报“${d.subject}”。`);
            onIssued();
          } catch (error) {
            backToEdit();
            showFormError(editForm, box, error);
            box.focus();
          }
        });
      });
      editForm.hidden = true;
      confirmBox.hidden = false;
      confirmTitle.focus();
    }

    function backToEdit() {
      confirmBox.hidden = true;
      editForm.hidden = false;
      subject.input.focus();
    }

    replace(panel, h("h2", { id: titleId, tabindex: "-1" }, `向${name}发出通报`), box, editForm, confirmBox);
    panel.hidden = false;
    panel.scrollIntoView({ block: "start" });
    panel.querySelector("h2").focus();
  }

  return { node: panel, open, close, isOpen: () => current !== null };
}
