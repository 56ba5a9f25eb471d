// 登录: exchange username and password for a bearer token, shared by the tabs of this browser (api.js session).
import { api, session } from "../api.js";
import { HOME } from "../routes.js";
import { field, h } from "../dom.js";
import { busy, clearFormError, formErrorBox, heading, showFormError } from "../ui.js";

export async function loginView(ctx) {
  const username = field({ label: "用户名", name: "username", required: true,
    attrs: { autocomplete: "username", autocapitalize: "off", spellcheck: "false" } });
  const password = field({ label: "密码", name: "password", type: "password", required: true,
    attrs: { autocomplete: "current-password" } });
  const errors = formErrorBox();
  const form = h("form", { class: "card login-form", novalidate: true, "aria-labelledby": "login-title" },
    errors, username.wrap, password.wrap,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "登录")));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      clearFormError(form, errors);
      try {
        const result = await api("POST", "/auth/login", {
          anonymous: true,
          body: { username: username.input.value.trim(), password: password.input.value },
        });
        session.clear();
        session.set(result);
        ctx.loggedIn(HOME);
      } catch (error) {
        showFormError(form, errors, error);
        password.input.value = "";
        if (!form.querySelector("[aria-invalid]")) username.input.focus();
      }
    });
  });
  username.input.dataset.autofocus = "1";
  const title = heading("登录");
  title.id = "login-title";
  return h("section", { class: "login" }, title,
    h("p", { class: "lead" }, "请使用本部门的经办账号登录。"), form);
}
