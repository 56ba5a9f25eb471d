// 发起联合任务: title, responding departments, window, checklist items, planned, note (R-JOINT-1, R-JOINT-2, R-ITEM-3).
import { api, commandSender, session } from "../api.js";
import { departments } from "../data.js";
import { field, h, uid } from "../dom.js";
import { date } from "../format.js";
import { navigate } from "../router.js";
import { busy, clearFormError, flash, formErrorBox, heading, showFormError } from "../ui.js";

export async function newTaskView() {
  const me = session.get();
  const [all, joint] = await Promise.all([departments(), jointItems()]);
  const choices = all.filter((d) => d.kind !== "office" && d.code !== me.department_code);
  const send = commandSender();

  const title = field({ label: "任务名称", name: "title", required: true,
    attrs: { maxlength: 200, autocomplete: "off" } });
  title.input.dataset.autofocus = "1";

  const deptError = h("p", { class: "field-error", id: uid("departments-error") });
  const deptHint = h("p", { class: "hint", id: uid("departments-hint") }, "任务将推送给所选部门，各部门须在两个工作日内响应。");
  const deptBoxes = choices.map((d) => {
    const id = uid(`dept-${d.code}`);
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: "responding_departments", value: d.code }),
      h("label", { for: id }, d.name));
  });
  const departmentsSet = h("fieldset", { class: "field", "data-field": "responding_departments",
    "aria-describedby": `${deptHint.id} ${deptError.id}` },
    h("legend", {}, "响应部门", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    choices.length ? h("div", { class: "check-grid" }, deptBoxes) : h("p", {}, "没有可选的部门。"),
    deptHint, deptError);

  const start = field({ label: "开始日期", name: "window_start", type: "date", required: true });
  const end = field({ label: "结束日期", name: "window_end", type: "date", required: true });
  const windowSet = h("fieldset", { class: "field-row" },
    h("legend", {}, "检查时间窗口"), start.wrap, end.wrap);

  // 清单之外无事项 (R-ITEM-3): only active joint (C) items of the lead and the chosen responders can be named.
  const itemsHint = h("p", { class: "hint", id: uid("items-hint") },
    "只能选择本部门和所选响应部门在用的联合抽查事项（C类）。");
  const itemsError = h("p", { class: "field-error", id: uid("items-error") });
  const itemsGrid = h("div", { class: "check-grid" });
  const itemsSet = h("fieldset", { class: "field", "data-field": "items",
    "aria-describedby": `${itemsHint.id} ${itemsError.id}` },
    h("legend", {}, "抽查事项", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    itemsGrid, itemsHint, itemsError);
  const chosenItems = new Set();
  const renderItems = () => {
    const parties = new Set([me.department_code, ...[...departmentsSet.querySelectorAll(
      'input[name="responding_departments"]:checked')].map((c) => c.value)]);
    const offered = joint.filter((i) => parties.has(i.department_code));
    itemsGrid.replaceChildren(...(offered.length ? offered.map((item) => {
      const id = uid("item");
      const box = h("input", { type: "checkbox", id, name: "items", value: item.id, checked: chosenItems.has(item.id) });
      box.addEventListener("change", () => (box.checked ? chosenItems.add(item.id) : chosenItems.delete(item.id)));
      return h("div", { class: "check" }, box, h("label", { for: id }, `${item.name}（${item.department_name}）`));
    }) : [h("p", {}, "所选部门没有在用的联合抽查事项，请先选择响应部门或维护抽查事项清单。")]));
  };
  departmentsSet.addEventListener("change", renderItems);
  renderItems();
  const plannedId = uid("planned");
  const planned = h("div", { class: "field check", "data-field": "planned" },
    h("input", { type: "checkbox", id: plannedId, name: "planned", checked: true }),
    h("label", { for: plannedId }, "列入年度抽查计划（计划内任务）"),
    h("p", { class: "field-error" }));
  const note = field({ label: "备注", name: "note", type: "textarea", attrs: { rows: 3, maxlength: 2000 } });

  const errors = formErrorBox();
  const submit = h("button", { type: "submit", class: "primary" }, "发起并推送");
  const form = h("form", { class: "card task-form", novalidate: true, "aria-label": "发起联合任务" },
    errors, title.wrap, departmentsSet, windowSet, itemsSet, planned, note.wrap,
    h("div", { class: "actions" }, submit, h("a", { href: "#/tasks", class: "button secondary" }, "取消")));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      const body = {
        title: title.input.value.trim(),
        responding_departments: [...form.querySelectorAll('input[name="responding_departments"]:checked')]
          .map((c) => c.value),
        window_start: start.input.value || null,
        window_end: end.input.value || null,
        items: [...itemsGrid.querySelectorAll('input[name="items"]:checked')].map((c) => c.value),
        planned: form.querySelector(`#${plannedId}`).checked,
        note: note.input.value.trim(),
      };
      try {
        const result = await send("POST", "/joint-tasks", body);
        const chosen = choices.filter((d) => body.responding_departments.includes(d.code)).map((d) => d.name);
        flash(`已发起联合任务“${body.title}”，已推送给${chosen.join("、")}，响应期限 ${date(result.response_deadline)}`
          + `${result.deadline_provisional ? "（暂定）" : ""}。`);
        navigate("#/tasks");
      } catch (error) {
        showFormError(form, errors, error);
        if (!form.querySelector("[aria-invalid]")) errors.focus();
      }
    });
  });

  return h("section", {}, heading("发起联合任务"),
    h("p", { class: "lead" }, "牵头部门发起联合任务后，系统立即推送给响应部门，并按工作日计算响应期限。"), form);
}

/** Every department's active joint (C) items: what a joint task may name (R-ITEM-3, R-ITEM-4). */
async function jointItems() {
  const items = [];
  for (let page = 1; ; page += 1) {
    const result = await api("GET", `/check-items?item_class=C&status=active&page_size=500&page=${page}`);
    items.push(...result.items);
    if (items.length >= result.total || !result.items.length) return items;
  }
}
