// The single-page app: hash routes (routes.js), the side menu, the header (department, 退出), live updates.
import { api, onUnauthorized, session } from "./api.js";
import { forgetReferenceData } from "./data.js";
import { h, replace } from "./dom.js";
import { startLive, stopLive, unsubscribeAll } from "./live.js";
import { currentRoute, navigate } from "./router.js";
import { ADMIN_HOME, HOME, MENU, ROUTES } from "./routes.js";
import { clearMessages, flash, showAlert, showNotice, takeFlash } from "./ui.js";

const APP_TITLE = "部门联合“双随机、一公开”监管协同平台";
let renderCount = 0;
let afterLogin = null; // {hash, username}: where to return after logging in again


function updateHeader(route) {
  const s = session.get();
  const nav = document.getElementById("mainnav");
  nav.hidden = !s;
  document.getElementById("userbox").hidden = !s;
  document.getElementById("menu-toggle").hidden = !s;
  if (s) {
    document.getElementById("who-dept").textContent = s.department_name;
    document.getElementById("who-user").textContent = `账号：${s.username}`;
    replace(nav, menu(route.nav));
  }
  const crumbs = document.getElementById("breadcrumbs");
  const group = MENU.find((g) => g.items.some((i) => i.nav === route.nav));
  replace(crumbs, s && route.nav ? h("ol", {},
    group && group.label !== route.title ? h("li", {}, group.label) : null, h("li", { "aria-current": "page" },
      route.title)) : null);
}

/** The side menu: groups of links; entries for the office only are left out for departments. */
function menu(current) {
  const office = session.isOffice();
  const admin = session.isAdmin();
  const business = session.doesBusiness();
  return MENU.filter((group) => !group.business || business).map((group) => {
    const items = group.items.filter((i) => (!i.office || office) && (!i.admin || admin));
    if (!items.length) return null;
    return h("div", { class: "menu-group" },
      h("div", { class: "menu-label" }, group.label),
      h("ul", {}, items.map((i) => h("li", {}, h("a", {
        href: i.href, "data-nav": i.nav, "aria-current": i.nav === current ? "page" : null,
        onclick: () => closeMenu(),
      }, i.label)))));
  });
}

function closeMenu() {
  document.body.classList.remove("menu-open");
  document.getElementById("menu-toggle").setAttribute("aria-expanded", "false");
}

async function render() {
  const mine = ++renderCount;
  const { path, params } = currentRoute();
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) {
    navigate(session.get() ? HOME : "#/login");
    return;
  }
  if (!route.anonymous && !route.public && !session.get()) {
    afterLogin = afterLogin || { hash: window.location.hash, username: null };
    navigate("#/login");
    return;
  }
  if (route.anonymous && session.get()) {
    navigate(HOME);
    return;
  }
  if (session.get()?.must_change_password && path !== "/password" && !route.public) {
    navigate("#/password"); // a one-time password from an administrator: the server refuses everything else
    return;
  }
  if (path === "/home" && session.get() && !session.doesBusiness()) {
    navigate(ADMIN_HOME); // an administrator's account has no to-do list
    return;
  }
  unsubscribeAll(); // the page left behind stops listening
  if (session.get()) startLive();
  clearMessages();
  const flashed = takeFlash();
  if (flashed && flashed.kind === "alert") showAlert(flashed.message);
  else if (flashed) showNotice(flashed.message);
  updateHeader(route);
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
  // The page stops following /ws first: a refresh a live message would start could otherwise reach the server just
  // after the token is revoked, and end in a 401.
  unsubscribeAll();
  stopLive();
  try {
    await api("POST", "/auth/logout");
  } catch {
    // The token may already be invalid; the session ends here either way.
  }
  endSession("已退出登录。", "notice");
}

/** Forget the login in this tab (and, through localStorage, in every tab) and show the login page. */
function endSession(message, kind) {
  session.clear();
  stopLive();
  forgetReferenceData();
  flash(message, kind);
  navigate("#/login");
}

function start() {
  document.getElementById("logout").addEventListener("click", logout);
  document.getElementById("skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    const title = document.querySelector("#view h1") || document.getElementById("main");
    title.focus();
  });
  document.getElementById("menu-toggle").addEventListener("click", (event) => {
    const open = document.body.classList.toggle("menu-open");
    event.currentTarget.setAttribute("aria-expanded", String(open));
  });
  onUnauthorized((error) => {
    const s = session.get();
    if (!s) return;
    afterLogin = { hash: window.location.hash, username: s.username };
    endSession(error.code === "invalid_token" ? error.message : "登录已失效，请重新登录。", "alert");
  });
  session.onChangeElsewhere(() => {
    // Another tab logged out (or in as someone else): this one follows.
    stopLive();
    forgetReferenceData();
    if (!session.get()) flash("已在其他窗口退出登录。", "alert");
    render();
  });
  window.addEventListener("hashchange", render);
  render();
}

start();
