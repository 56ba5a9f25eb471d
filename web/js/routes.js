// Every page of the app and the side menu. A new page: import its view, add a route, and (if it has one) a menu
// entry. `office: true` shows a menu entry to the joint meeting office only; `public: true` routes need no login.
import { homeView } from "./views/home.js";
import { lateResponsesView } from "./views/late-responses.js";
import { loginView } from "./views/login.js";
import { newTaskView } from "./views/new-task.js";
import { taskView } from "./views/task.js";
import { tasksView } from "./views/tasks.js";

const UUID = "([0-9a-fA-F-]{36})";

export const ROUTES = [
  { pattern: /^\/login$/, view: loginView, anonymous: true, nav: null, title: "登录" },
  { pattern: /^\/home$/, view: homeView, nav: "home", title: "工作台" },
  { pattern: /^\/tasks$/, view: tasksView, nav: "tasks", title: "我的任务" },
  { pattern: /^\/tasks\/new$/, view: newTaskView, nav: "new", title: "发起联合任务" },
  { pattern: new RegExp(`^/tasks/${UUID}$`), view: taskView, nav: "tasks", title: "任务详情" },
  { pattern: /^\/oversight\/late-responses$/, view: lateResponsesView, nav: "late", title: "逾期响应" },
];

export const MENU = [
  { label: "工作台", items: [{ nav: "home", href: "#/home", label: "工作台" }] },
  {
    label: "联合任务",
    items: [
      { nav: "tasks", href: "#/tasks", label: "我的任务" },
      { nav: "new", href: "#/tasks/new", label: "发起联合任务" },
    ],
  },
  {
    label: "监督管理",
    items: [
      { nav: "late", href: "#/oversight/late-responses", label: "逾期响应", office: true },
    ],
  },
];

/** Where a logged-in clerk starts. */
export const HOME = "#/home";
