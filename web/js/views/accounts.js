// 部门管理 and 账号管理 (the office's administrators, issue 18): departments and accounts listed, searched, added one
// by one or imported from a sheet (all or none), edited, disabled and re-enabled, passwords reset to a one-time
// password shown once; each record's change history. 修改密码 (#/password): anyone, and first of all a user whose
// password an administrator set.
import { api, commandSender, newKey, postFile, session } from "../api.js";
import { forgetReferenceData } from "../data.js";
import { h, replace, uid } from "../dom.js";
import { navigate } from "../router.js";
import { HOME } from "../routes.js";
import { busy, clearFormError, flash, formErrorBox, heading, pagedResults, showFormError, showNotice } from "../ui.js";
import {
  downloadCsv, facts, filterBar, formControls, historySection, readState, recordForm, select, withConfirmation,
  writeState,
} from "./directory-common.js";

export const ROLE_LABELS = { department_staff: "部门工作人员", approver: "审核人", office: "联席会议办公室",
  admin: "系统管理员" };
const KINDS = { department: "部门", office: "联席会议办公室" };
const LEVELS = { "": "未设", province: "省级", city: "市级", county: "县级" };
const ACTIVE = { true: "启用", false: "已停用" };
const USER_LABELS = { display_name: "姓名", department: "部门", roles: "角色", active: "状态",
  must_change_password: "须修改密码" };
const DEPARTMENT_LABELS = { code: "部门代码", name: "部门名称", kind: "类型", region: "地区", level: "层级",
  parent_code: "上级部门" };
const USER_DEFAULTS = { q: "", department: "", role: "", active: "" };
const DEPARTMENT_DEFAULTS = { q: "", kind: "" };

const roleText = (roles) => roles.map((r) => ROLE_LABELS[r] || r).join("、");
// Every department, for the selects (the admin list pages; a province has thousands of county bureaus)
const allDepartments = async () => (await api("GET", "/departments")).items;

/** The one-time password, shown once, with what to do with it. */
function oneTimePassword(user) {
  return h("div", { class: "notice-box one-time", role: "status", tabindex: "-1" },
    h("p", {}, `账号 ${user.username}（${user.display_name}）的一次性密码：`,
      h("strong", { class: "mono one-time-password" }, user.one_time_password)),
    h("p", { class: "muted" }, "密码只显示这一次，请当面或通过安全渠道交给本人；本人首次登录后须立即修改密码。"));
}

// ---- 账号管理 (list, import) ----------------------------------------------------------------------------------
export async function usersView(ctx) {
  const all = await allDepartments();
  const names = Object.fromEntries(all.map((d) => [d.code, d.name]));
  const state = readState(ctx.params, USER_DEFAULTS, { role: Object.keys(ROLE_LABELS), active: ["true", "false"] });
  const c = {
    q: h("input", { id: uid("q"), name: "q", type: "search", value: state.q, maxlength: 100,
      placeholder: "用户名或姓名中的文字" }),
    department: select("department", [["", "全部部门"], ...all.map((d) => [d.code, d.name])], state.department),
    role: select("role", [["", "全部角色"], ...Object.entries(ROLE_LABELS)], state.role),
    active: select("active", [["", "全部状态"], ...Object.entries(ACTIVE)], state.active),
  };
  const labels = { q: "搜索", department: "部门", role: "角色", active: "状态" };
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/admin/users", state, USER_DEFAULTS),
    fetchPage: () => api("GET", "/admin/users", { query: { q: state.q, department: state.department,
      role: state.role, active: state.active, page: state.page, page_size: state.size } }),
    render: (items) => usersTable(items, names),
  });
  const filters = filterBar({
    label: "筛选账号",
    filters: Object.entries(c).map(([name, control]) => [labels[name], control, name === "q" ? "grow" : null]),
    onApply: () => {
      for (const [name, control] of Object.entries(c)) state[name] = control.value.trim();
      state.page = 1;
      load();
    },
    onReset: () => {
      Object.assign(state, USER_DEFAULTS, { page: 1 });
      for (const [name, control] of Object.entries(c)) control.value = USER_DEFAULTS[name];
      load();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("账号管理"),
      h("a", { href: "#/admin/users/new", class: "button primary" }, "新增账号")),
    h("p", { class: "lead" }, "新增的账号和重置密码后的账号使用一次性密码登录，登录后须先修改密码。停用的账号立即退出登录，不能再登录。"),
    importPanel({ entity: "users", what: "账号", template: ["用户名", "姓名", "部门代码", "角色"],
      example: ["zhang.san", "张三", all[0]?.code || "scjg", "部门工作人员、审核人"],
      note: "角色可填：部门工作人员、审核人、联席会议办公室、系统管理员，多个用顿号分隔。", onDone: load }),
    h("div", { class: "card directory-list" }, filters, results));
}

function usersTable(items, names) {
  const rows = items.map((u) => h("tr", { "data-username": u.username, class: u.active ? null : "muted-row" },
    h("td", { class: "title-cell" }, h("a", { href: `#/admin/users/${encodeURIComponent(u.username)}` }, u.username)),
    h("td", {}, u.display_name), h("td", {}, names[u.department_code] || u.department_name),
    h("td", {}, roleText(u.roles)),
    h("td", {}, h("span", { class: `badge ${u.active ? "item-active" : "late"}` }, ACTIVE[u.active]),
      u.must_change_password ? h("span", { class: "badge muted" }, "待修改初始密码") : null)));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 5, class: "empty" },
      "没有符合条件的账号。可调整筛选条件，或点击“新增账号”、通过“批量导入”添加账号。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid users-table" },
    h("caption", { class: "visually-hidden" }, "账号列表"),
    h("thead", {}, h("tr", {}, ["用户名", "姓名", "部门", "角色", "状态"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

/** 批量导入: a sheet of departments or accounts, created all or none; each bad line listed; accounts' one-time
 * passwords shown once and downloadable. */
function importPanel({ entity, what, template, example, note, onDone }) {
  const input = h("input", { type: "file", id: uid("file"), name: "file", accept: ".xlsx,.csv" });
  const errors = formErrorBox();
  const result = h("div", { class: "import-result" });
  let key = null;
  let chosen = null;
  const form = h("form", { class: "import-form", novalidate: true, "aria-label": `导入${what}` }, errors,
    h("div", { class: "field", "data-field": "file" }, h("label", { for: input.id }, "选择文件（XLSX 或 CSV）"), input,
      h("p", { class: "field-error" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "上传并导入")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      replace(result);
      const file = input.files[0];
      if (!file) {
        showFormError(form, errors, { message: "请先选择要导入的文件。", details: { field: "file" } });
        return;
      }
      if (file !== chosen) {
        chosen = file;
        key = newKey();
      }
      try {
        const done = await postFile(`/admin/${entity}/import`, file, key);
        key = null;
        chosen = null;
        replace(result, imported(done, entity, what));
        onDone();
      } catch (error) {
        showFormError(form, errors, error);
        const rows = error.details && error.details.rows;
        if (rows) replace(result, badLines(rows));
      }
    });
  });
  return h("details", { class: "card import-panel" }, h("summary", {}, `批量导入${what}（XLSX / CSV）`),
    h("p", {}, `列：${template.join("、")}。${note}文件中任何一行有误时整个文件都不导入，请按提示改正后重新上传。`),
    h("p", {}, h("button", { type: "button", class: "secondary",
      onclick: () => downloadCsv(`${what}导入模板.csv`, [template, example]) }, "下载导入模板")),
    form, result);
}

function imported(done, entity, what) {
  const accounts = entity === "users" ? done.items.filter((u) => u.one_time_password) : [];
  return h("div", { role: "status" },
    h("p", {}, `导入完成：新增${what} ${done.created} 个。`),
    accounts.length ? [
      h("p", { class: "muted" }, "各账号的一次性密码只显示这一次：请下载后通过安全渠道分发，本人首次登录后须修改密码。"),
      h("button", { type: "button", class: "primary", onclick: () => downloadCsv("新账号一次性密码.csv",
        [["用户名", "姓名", "部门代码", "一次性密码"],
          ...accounts.map((u) => [u.username, u.display_name, u.department_code, u.one_time_password])]) },
      "下载一次性密码清单"),
    ] : null);
}

function badLines(rows) {
  return h("div", { class: "table-scroll" }, h("table", { class: "grid rejected-table" },
    h("caption", {}, "无法导入的行"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "行号"), h("th", { scope: "col" }, "原因"))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-line": r.line }, h("td", { class: "num" }, r.line),
      h("td", {}, r.message))))));
}

// ---- 新增账号 ---------------------------------------------------------------------------------------------------
export async function newUserView() {
  const all = await allDepartments();
  const controls = formControls(userSpecs(true, all), { roles: ["department_staff"] });
  const send = commandSender();
  const shown = h("div");
  const form = recordForm({
    label: "新增账号", nodes: controls.nodes, submit: "创建账号", cancelHref: "#/admin/users",
    onSubmit: async () => {
      const created = await send("POST", "/admin/users", controls.read());
      replace(shown, oneTimePassword(created),
        h("p", {}, h("a", { href: `#/admin/users/${encodeURIComponent(created.username)}` }, "查看该账号"), "　",
          h("a", { href: "#/admin/users" }, "返回账号列表")));
      form.hidden = true;
      shown.querySelector(".one-time")?.focus();
    },
  });
  return h("section", {}, h("div", { class: "page-head" }, heading("新增账号")), form, shown);
}

function userSpecs(isNew, all) {
  return [
    ...(isNew ? [{ name: "username", label: "用户名", required: true, max: 64, hint: "字母、数字或 . _ -，创建后不可更改" }]
      : []),
    { name: "display_name", label: "姓名", required: true, max: 100 },
    { name: "department_code", label: "所属部门", type: "select", required: true,
      options: [["", "请选择"], ...all.map((d) => [d.code, `${d.name}（${d.code}）`])] },
    { name: "roles", label: "角色", type: "checks", required: true, options: Object.entries(ROLE_LABELS), wide: true,
      hint: "审核人：审核结果更正；联席会议办公室：全省监督；系统管理员：管理部门和账号。不能给自己增加本人没有的角色。" },
  ];
}

// ---- 账号详情 ---------------------------------------------------------------------------------------------------
export async function userView(ctx) {
  const username = decodeURIComponent(ctx.arg);
  const all = await allDepartments();
  const names = Object.fromEntries(all.map((d) => [d.code, d.name]));
  const root = h("div", { class: "record-detail" });
  async function load(message, extra) {
    const [user, history] = await Promise.all([api("GET", `/admin/users/${encodeURIComponent(username)}`),
      api("GET", `/admin/users/${encodeURIComponent(username)}/history`, { query: { page_size: 200 } })]);
    if (!ctx.isCurrent()) return;
    replace(root, ...userPage(user, history, all, names, load), extra || null);
    if (message) showNotice(message);
    root.querySelector("h1")?.focus();
  }
  await load();
  return root;
}

function userPage(u, history, all, names, reload) {
  const path = `/admin/users/${encodeURIComponent(u.username)}`;
  const me = session.get()?.username === u.username;
  const controls = formControls(userSpecs(false, all), u);
  const send = commandSender();
  const editor = recordForm({
    label: "修改账号", nodes: controls.nodes, submit: "保存修改",
    onSubmit: async () => {
      await send("PATCH", path, controls.read());
      await reload("已保存对账号的修改。");
    },
  });
  editor.hidden = true;
  const toggle = h("button", { type: "button", class: "primary", "aria-expanded": "false", onclick: (e) => {
    editor.hidden = !editor.hidden;
    e.currentTarget.setAttribute("aria-expanded", String(!editor.hidden));
    if (!editor.hidden) editor.querySelector("input, select")?.focus();
  } }, "修改账号");
  const command = (label, message, run) => {
    const errors = formErrorBox();
    const form = h("form", { class: "inline-command", novalidate: true, "aria-label": label }, errors,
      h("button", { type: "submit", class: "secondary" }, label));
    return withConfirmation(form, { message: () => message, confirmLabel: `确认${label}`, run: async () => {
      try {
        await run();
        return true;
      } catch (error) {
        showFormError(form, errors, error);
        return false;
      }
    } });
  };
  const sendCommand = commandSender();
  const toggleActive = u.active
    ? command("停用账号", `停用后 ${u.username} 立即退出登录，不能再登录，直到重新启用。`, async () => {
      await sendCommand("POST", `${path}/disable`);
      await reload(`已停用账号 ${u.username}。`);
    })
    : command("启用账号", `启用后 ${u.username} 可以再次用原密码登录。`, async () => {
      await sendCommand("POST", `${path}/enable`);
      await reload(`已启用账号 ${u.username}。`);
    });
  const reset = command("重置密码", `重置后 ${u.username} 立即退出登录，须用新的一次性密码登录并修改密码。`, async () => {
    const done = await sendCommand("POST", `${path}/password-reset`);
    await reload(`已重置 ${u.username} 的密码。`, oneTimePassword(done));
  });
  return [
    h("div", { class: "page-head" }, heading(`${u.display_name}（${u.username}）`, " ",
      h("span", { class: `badge ${u.active ? "item-active" : "late"}` }, ACTIVE[u.active])),
    h("div", { class: "actions" }, toggle, h("a", { href: "#/admin/users", class: "button secondary" }, "返回账号列表"))),
    h("section", { class: "card", "aria-label": "账号信息" }, facts([
      ["用户名", h("span", { class: "mono" }, u.username)], ["姓名", u.display_name],
      ["所属部门", `${names[u.department_code] || u.department_name}（${u.department_code}）`],
      ["角色", roleText(u.roles)], ["状态", ACTIVE[u.active]],
      ["密码", u.must_change_password ? "一次性密码，待本人修改" : "本人设置"],
    ]), me ? h("p", { class: "muted" }, "这是您本人的账号：不能停用，也不能给自己增加角色。") : null,
    h("div", { class: "actions" }, me ? null : toggleActive, reset)),
    editor,
    historySection({ entries: history.items, labels: USER_LABELS, names, title: `修改记录（共 ${history.total} 条）`,
      describe: (field, value) => describeUser(field, value, names) }),
  ];
}

function describeUser(field, value, names) {
  if (field === "roles") return roleText(value);
  if (field === "department") return names[value] || value;
  if (field === "active") return ACTIVE[value];
  if (field === "must_change_password") return value ? "是" : "否";
  return String(value);
}

// ---- 部门管理 ---------------------------------------------------------------------------------------------------
export async function departmentsView(ctx) {
  const state = readState(ctx.params, DEPARTMENT_DEFAULTS, { kind: Object.keys(KINDS) });
  let all = await allDepartments();
  const c = {
    q: h("input", { id: uid("q"), name: "q", type: "search", value: state.q, maxlength: 100,
      placeholder: "代码、名称或地区中的文字" }),
    kind: select("kind", [["", "全部类型"], ...Object.entries(KINDS)], state.kind),
  };
  const { results, load } = pagedResults({
    ctx, state, save: () => writeState("/admin/departments", state, DEPARTMENT_DEFAULTS),
    fetchPage: () => api("GET", "/admin/departments", { query: { q: state.q, kind: state.kind, page: state.page,
      page_size: state.size } }),
    render: (items) => departmentsTable(items, Object.fromEntries(all.map((d) => [d.code, d.name]))),
  });
  const filters = filterBar({
    label: "筛选部门",
    filters: [["搜索", c.q, "grow"], ["类型", c.kind]],
    onApply: () => {
      state.q = c.q.value.trim();
      state.kind = c.kind.value;
      state.page = 1;
      load();
    },
    onReset: () => {
      Object.assign(state, DEPARTMENT_DEFAULTS, { page: 1 });
      c.q.value = "";
      c.kind.value = "";
      load();
    },
  });
  const refresh = async () => {
    all = await allDepartments();
    forgetReferenceData(); // the pages' own department lists read them again
    await load();
  };
  const controls = formControls(departmentSpecs(true, all), { kind: "department" });
  const send = commandSender();
  const creator = recordForm({
    label: "新增部门", nodes: controls.nodes, submit: "创建部门",
    onSubmit: async () => {
      const created = await send("POST", "/admin/departments", departmentBody(controls.read()));
      showNotice(`已新增部门 ${created.name}（${created.code}）。`);
      await refresh();
    },
  });
  await load();
  return h("section", {},
    h("div", { class: "page-head" }, heading("部门管理")),
    h("p", { class: "lead" }, "部门代码是部门的唯一标识，创建后不可更改；名称、地区、层级和上级部门可以修改，每次修改都有记录。"),
    h("details", { class: "card" }, h("summary", {}, "新增部门"), creator),
    importPanel({ entity: "departments", what: "部门", template: ["部门代码", "部门名称", "类型", "地区", "层级", "上级部门代码"],
      example: ["hz_scjg", "杭州市市场监督管理局", "部门", "杭州市", "市级", ""],
      note: "类型可填：部门、联席会议办公室；层级可填：省级、市级、县级；上级部门可以是同一文件中前面的行。", onDone: refresh }),
    h("div", { class: "card directory-list" }, filters, results));
}

function departmentsTable(items, names) {
  const rows = items.map((d) => h("tr", { "data-code": d.code },
    h("td", { class: "mono" }, h("a", { href: `#/admin/departments/${encodeURIComponent(d.code)}` }, d.code)),
    h("td", {}, d.name), h("td", {}, KINDS[d.kind] || d.kind), h("td", {}, d.region || "—"),
    h("td", {}, LEVELS[d.level] || "—"), h("td", {}, d.parent_code ? names[d.parent_code] || d.parent_code : "—"),
    h("td", { class: "num" }, d.users)));
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: 7, class: "empty" }, "没有符合条件的部门。可调整筛选条件，或在上方“新增部门”。")));
  }
  return h("div", { class: "table-scroll" }, h("table", { class: "grid departments-table" },
    h("caption", { class: "visually-hidden" }, "部门列表"),
    h("thead", {}, h("tr", {}, ["部门代码", "部门名称", "类型", "地区", "层级", "上级部门", "账号数"].map(
      (t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows)));
}

function departmentSpecs(isNew, all) {
  return [
    ...(isNew ? [{ name: "code", label: "部门代码", required: true, max: 32, hint: "字母、数字或下划线，创建后不可更改" }] : []),
    { name: "name", label: "部门名称", required: true, max: 100 },
    { name: "kind", label: "类型", type: "select", options: Object.entries(KINDS) },
    { name: "region", label: "地区", max: 100 },
    { name: "level", label: "层级", type: "select", options: Object.entries(LEVELS) },
    { name: "parent_code", label: "上级部门", type: "select",
      options: [["", "无"], ...all.map((d) => [d.code, `${d.name}（${d.code}）`])] },
  ];
}

function departmentBody(values) {
  return { ...values, parent_code: values.parent_code || null };
}

// ---- 部门详情 ---------------------------------------------------------------------------------------------------
export async function departmentView(ctx) {
  const code = decodeURIComponent(ctx.arg);
  const root = h("div", { class: "record-detail" });
  async function load(message) {
    const [department, history, all] = await Promise.all([
      api("GET", `/admin/departments/${encodeURIComponent(code)}`),
      api("GET", `/admin/departments/${encodeURIComponent(code)}/history`, { query: { page_size: 200 } }),
      allDepartments()]);
    if (!ctx.isCurrent()) return;
    const names = Object.fromEntries(all.map((d) => [d.code, d.name]));
    const controls = formControls(departmentSpecs(false, all.filter((d) => d.code !== code)), department);
    const send = commandSender();
    const editor = recordForm({
      label: "修改部门", nodes: controls.nodes, submit: "保存修改",
      onSubmit: async () => {
        const { parent_code: parent, ...rest } = controls.read();
        await send("PATCH", `/admin/departments/${encodeURIComponent(code)}`, { ...rest, parent_code: parent || "" });
        forgetReferenceData();
        await load("已保存对部门的修改。");
      },
    });
    const describe = (field, value) => (field === "kind" ? KINDS[value] || value : field === "level"
      ? LEVELS[value] || value : field === "parent_code" ? names[value] || value : String(value));
    replace(root,
      h("div", { class: "page-head" }, heading(`${department.name}（${department.code}）`),
        h("div", { class: "actions" },
          h("a", { href: `#/admin/users?department=${encodeURIComponent(code)}`, class: "button secondary" },
            `查看账号（${department.users}）`),
          h("a", { href: "#/admin/departments", class: "button secondary" }, "返回部门列表"))),
      h("section", { class: "card", "aria-label": "部门信息" }, facts([
        ["部门代码", h("span", { class: "mono" }, department.code)], ["部门名称", department.name],
        ["类型", KINDS[department.kind]], ["地区", department.region], ["层级", LEVELS[department.level]],
        ["上级部门", department.parent_code ? names[department.parent_code] || department.parent_code : ""],
        ["账号数", String(department.users)],
      ])),
      editor,
      historySection({ entries: history.items, labels: DEPARTMENT_LABELS, describe, names,
        title: `修改记录（共 ${history.total} 条）` }));
    if (message) showNotice(message);
    root.querySelector("h1")?.focus();
  }
  await load();
  return root;
}

// ---- 修改密码 ---------------------------------------------------------------------------------------------------
export async function passwordView() {
  const forced = Boolean(session.get()?.must_change_password);
  const current = h("input", { type: "password", id: uid("current"), name: "current_password",
    autocomplete: "current-password" });
  const next = h("input", { type: "password", id: uid("new"), name: "new_password", autocomplete: "new-password" });
  const again = h("input", { type: "password", id: uid("again"), name: "again", autocomplete: "new-password" });
  const fieldOf = (input, label, hint) => h("div", { class: "field", "data-field": input.name },
    h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint" }, hint) : null,
    h("p", { class: "field-error" }));
  const errors = formErrorBox();
  const form = h("form", { class: "card record-form", novalidate: true, "aria-label": "修改密码" }, errors,
    fieldOf(current, forced ? "一次性密码（当前密码）" : "当前密码"),
    fieldOf(next, "新密码", "至少 12 个字符，须包含字母、数字、其他符号中的至少两类"),
    fieldOf(again, "再次输入新密码"),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "修改密码")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      if (next.value !== again.value) {
        showFormError(form, errors, { message: "两次输入的新密码不一致，请重新输入。", details: { field: "again" } });
        return;
      }
      try {
        const result = await api("POST", "/auth/password", {
          body: { current_password: current.value, new_password: next.value } });
        session.set(result);
        flash("密码已修改。其他设备上的登录已退出。");
        navigate(HOME);
      } catch (error) {
        showFormError(form, errors, error);
      }
    });
  });
  current.dataset.autofocus = "1";
  return h("section", {}, h("div", { class: "page-head" }, heading("修改密码")),
    forced ? h("p", { class: "lead" }, "您正在使用管理员设置的一次性密码。请先设置自己的密码，然后才能办理业务。") : null,
    form);
}
