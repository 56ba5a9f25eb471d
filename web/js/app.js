// The single-page app: hash routes, the header (department, 退出), and the page views.
import { api, onUnauthorized, session } from "./api.js";
import { forgetReferenceData } from "./data.js";
import { h, replace } from "./dom.js";
import { currentRoute, navigate } from "./router.js";
import { clearMessages, flash, showAlert, showNotice, takeFlash } from "./ui.js";
import { loginView } from "./views/login.js";
import { tasksView } from "./views/tasks.js";
import { newTaskView } from "./views/new-task.js";
import { taskView } from "./views/task.js";
import { lateResponsesView } from "./views/late-responses.js";

const ROUTES = [
  { pattern: /^\/login$/, view: loginView, anonymous: true, nav: null, title: "登录" },
  { pattern: /^\/tasks$/, view: tasksView, nav: "tasks", title: "我的任务" },
  { pattern: /^\/tasks\/new$/, view: newTaskView, nav: "new", title: "发起联合任务" },
  { pattern: /^\/tasks\/([0-9a-fA-F-]{36})$/, view: taskView, nav: "tasks", title: "任务详情" },
  { pattern: /^\/oversight\/late-responses$/, view: lateResponsesView, nav: "late", title: "逾期响应" },
];

const APP_TITLE = "部门联合“双随机、一公开”监管协同平台";
let renderCount = 0;
let afterLogin = null; // {hash, username}: where to return after logging in again


function updateHeader(nav) {
  const s = session.get();
  document.getElementById("mainnav").hidden = !s;
  document.getElementById("userbox").hidden = !s;
  if (s) {
    document.getElementById("who-dept").textContent = s.department_name;
    document.getElementById("who-user").textContent = `账号：${s.username}`;
    document.querySelectorAll("[data-office-only]").forEach((el) => { el.hidden = !session.isOffice(); });
  }
  document.querySelectorAll("[data-nav]").forEach((a) => {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
}

async function render() {
  const mine = ++renderCount;
  const { path, params } = currentRoute();
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    navigate(session.get() ? "#/tasks" : "#/login");
    return;
  }
  if (!route.anonymous && !session.get()) {
    afterLogin = afterLogin || { hash: window.location.hash, username: null };
    navigate("#/login");
    return;
  }
  if (route.anonymous && session.get()) {
    navigate("#/tasks");
    return;
  }
  clearMessages();
  const flashed = takeFlash();
  if (flashed && flashed.kind === "alert") showAlert(flashed.message);
  else if (flashed) showNotice(flashed.message);
  updateHeader(route.nav);
  document.title = `${route.title} - ${APP_TITLE}`;
  const view = document.getElementById("view");
  view.setAttribute("aria-busy", "true");
  const match = path.match(route.pattern);
  const ctx = {
    params,
    path,
    arg: match[1],
    isCurrent: () => mine === renderCount,
    loggedIn: (hash) => {
      const back = afterLogin;
      afterLogin = null;
      const username = session.get()?.username;
      // Back to where the clerk was, unless someone else logs in (their department may not see that page).
      const target = back && (back.username === null || back.username === username) ? back.hash : hash;
      forgetReferenceData();
      navigate(target);
    },
  };
  try {
    const node = await route.view(ctx);
    if (mine !== renderCount) return;
    replace(view, node);
  } catch (error) {
    if (mine !== renderCount) return;
    replace(view, h("h1", { tabindex: "-1", class: "page-title" }, route.title));
    showAlert(error);
  } finally {
    if (mine === renderCount) view.removeAttribute("aria-busy");
  }
  if (view.contains(document.activeElement)) return;
  const target = view.querySelector("[data-autofocus]") || view.querySelector("h1");
  if (target) target.focus();
}

async function logout() {
  try {
    await api("POST", "/auth/logout");
  } catch {
    // The token may already be invalid; the session ends here either way.
  }
  session.clear();
  forgetReferenceData();
  flash("已退出登录。");
  navigate("#/login");
}

function start() {
  document.getElementById("logout").addEventListener("click", logout);
  document.getElementById("skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    const title = document.querySelector("#view h1") || document.getElementById("main");
    title.focus();
  });
  onUnauthorized((error) => {
    const s = session.get();
    if (!s) return;
    afterLogin = { hash: window.location.hash, username: s.username };
    session.clear();
    forgetReferenceData();
    flash(error.code === "invalid_token" ? error.message : "登录已失效，请重新登录。", "alert");
    navigate("#/login");
  });
  window.addEventListener("hashchange", render);
  render();
}

start();
