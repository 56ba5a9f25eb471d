// Every page of the app and the side menu. A new page: import its view, add a route, and (if it has one) a menu
// entry. `office: true` shows a menu entry to the joint meeting office only, `admin: true` to administrators only;
// `public: true` routes need no login. A `business` group is for accounts that do business (department staff, the
// office), not for an administrator's account alone.
import {
  departmentView, departmentsView, newUserView, passwordView, userView, usersView,
} from "./views/accounts.js";
import { drawView } from "./views/draw.js";
import { drawRecordView } from "./views/draw-record.js";
import { calendarView } from "./views/calendar.js";
import { homeView } from "./views/home.js";
import { lateResponsesView } from "./views/late-responses.js";
import { loginView } from "./views/login.js";
import { matchingView } from "./views/matching.js";
import { newTaskView } from "./views/new-task.js";
import { noticesView } from "./views/notices.js";
import {
  departmentFiguresView, fusionSuggestionsView, overdueArchivesView, overdueObjectionsView, overdueRequestsView,
  overdueResultSubjectsView,
  overdueResultsView, requestsSummaryView, tasksWithoutDayView,
} from "./views/oversight.js";
import { enterpriseView } from "./views/enterprise.js";
import { followUpView } from "./views/follow-up.js";
import { objectionsView } from "./views/objections.js";
import { taskView } from "./views/task.js";
import { tasksView } from "./views/tasks.js";
import { verifyDrawView } from "./views/verify-draw.js";
import { publicResultsView, publicSubjectView } from "./views/public-results.js";
import { resultsView } from "./views/results.js";
import { resultSettingsView } from "./views/result-settings.js";
import { visitNoticesView } from "./views/visit-notices.js";
import { checkItemFormView, checkItemView, checkItemsView } from "./views/check-items.js";
import { inspectorView, inspectorsView, newInspectorView } from "./views/inspectors.js";
import { planFormView, planView, plansView } from "./views/plans.js";
import { newSubjectView, subjectView, subjectsView } from "./views/subjects.js";

const UUID = "([0-9a-fA-F-]{36})";

export const ROUTES = [
  { pattern: /^\/login$/, view: loginView, anonymous: true, nav: null, title: "登录" },
  { pattern: /^\/home$/, view: homeView, nav: "home", title: "工作台" },
  { pattern: /^\/tasks$/, view: tasksView, nav: "tasks", title: "我的任务" },
  { pattern: /^\/tasks\/new$/, view: newTaskView, nav: "new", title: "发起联合任务" },
  { pattern: new RegExp(`^/tasks/${UUID}$`), view: taskView, nav: "tasks", title: "任务详情" },
  { pattern: /^\/oversight\/late-responses$/, view: lateResponsesView, nav: "late", title: "逾期响应" },
  { pattern: /^\/oversight\/tasks-without-day$/, view: tasksWithoutDayView, nav: "no-day", title: "未确定检查日" },
  { pattern: /^\/oversight\/overdue-results$/, view: overdueResultsView, nav: "overdue-results", title: "结果逾期" },
  { pattern: /^\/oversight\/overdue-result-subjects$/, view: overdueResultSubjectsView, nav: "overdue-result-subjects",
    title: "逾期未公示结果" },
  { pattern: /^\/oversight\/overdue-objections$/, view: overdueObjectionsView, nav: "overdue-objections",
    title: "逾期异议" },
  { pattern: /^\/oversight\/overdue-requests$/, view: overdueRequestsView, nav: "overdue-requests", title: "逾期诉求" },
  { pattern: /^\/oversight\/requests-summary$/, view: requestsSummaryView, nav: "requests-summary",
    title: "诉求季度汇总" },
  { pattern: /^\/oversight\/overdue-archives$/, view: overdueArchivesView, nav: "overdue-archives", title: "逾期未归档" },
  { pattern: /^\/objections$/, view: objectionsView, nav: "objections", title: "异议与诉求" },
  { pattern: /^\/oversight\/department-figures$/, view: departmentFiguresView, nav: "figures", title: "部门响应统计" },
  { pattern: /^\/oversight\/fusion-suggestions$/, view: fusionSuggestionsView, nav: "fusion", title: "融合建议" },
  { pattern: /^\/notices$/, view: noticesView, nav: "notices", title: "通报" },
  { pattern: /^\/result-settings$/, view: resultSettingsView, nav: "result-settings", title: "结果公示设置" },
  { pattern: /^\/calendar$/, view: calendarView, nav: "calendar", title: "工作日历" },
  { pattern: /^\/check-items$/, view: checkItemsView, nav: "check-items", title: "抽查事项清单" },
  { pattern: /^\/check-items\/new$/, view: checkItemFormView, nav: "check-items", title: "新增抽查事项" },
  { pattern: new RegExp(`^/check-items/${UUID}$`), view: checkItemView, nav: "check-items", title: "抽查事项详情" },
  { pattern: new RegExp(`^/check-items/${UUID}/edit$`), view: checkItemFormView, nav: "check-items",
    title: "修改抽查事项" },
  { pattern: /^\/plans$/, view: plansView, nav: "plans", title: "抽查工作计划" },
  { pattern: /^\/plans\/new$/, view: planFormView, nav: "plans", title: "编制抽查工作计划" },
  { pattern: new RegExp(`^/plans/${UUID}$`), view: planView, nav: "plans", title: "计划详情" },
  { pattern: new RegExp(`^/plans/${UUID}/edit$`), view: planFormView, nav: "plans", title: "修改计划" },
  { pattern: /^\/subjects$/, view: subjectsView, nav: "subjects", title: "检查对象名录" },
  { pattern: /^\/subjects\/new$/, view: newSubjectView, nav: "subjects", title: "新增检查对象" },
  { pattern: /^\/subjects\/([0-9A-Za-z-]{1,32})$/, view: subjectView, nav: "subjects", title: "检查对象详情" },
  { pattern: /^\/inspectors$/, view: inspectorsView, nav: "inspectors", title: "执法检查人员名录" },
  { pattern: /^\/inspectors\/new$/, view: newInspectorView, nav: "inspectors", title: "登记执法检查人员" },
  { pattern: /^\/inspectors\/([0-9]{17}[0-9Xx])$/, view: inspectorView, nav: "inspectors", title: "执法检查人员详情" },
  { pattern: new RegExp(`^/tasks/${UUID}/draw$`), view: drawView, nav: "tasks", title: "抽取检查对象" },
  { pattern: new RegExp(`^/tasks/${UUID}/matching$`), view: matchingView, nav: "tasks", title: "匹配检查人员" },
  { pattern: new RegExp(`^/draws/${UUID}$`), view: drawRecordView, nav: "tasks", title: "抽取记录" },
  { pattern: new RegExp(`^/tasks/${UUID}/results$`), view: resultsView, nav: "tasks", title: "检查结果" },
  { pattern: new RegExp(`^/tasks/${UUID}/follow-up$`), view: followUpView, nav: "tasks", title: "结果督办与企业诉求" },
  { pattern: new RegExp(`^/tasks/${UUID}/visit-notices$`), view: visitNoticesView, nav: "tasks",
    title: "联合检查告知书" },
  { pattern: /^\/public\/results$/, view: publicResultsView, public: true, nav: "public-results", title: "检查结果公示" },
  { pattern: /^\/public\/subjects\/([0-9A-Za-z-]{1,32})$/, view: publicSubjectView, public: true,
    nav: "public-results", title: "检查对象的检查结果" },
  { pattern: /^\/visit$/, view: enterpriseView, public: true, nav: "visit", title: "检查对象查询" },
  { pattern: /^\/public\/verify-draw$/, view: verifyDrawView, public: true, nav: "verify-draw", title: "抽取结果核验" },
  { pattern: /^\/password$/, view: passwordView, nav: "password", title: "修改密码" },
  { pattern: /^\/admin\/users$/, view: usersView, nav: "admin-users", title: "账号管理" },
  { pattern: /^\/admin\/users\/new$/, view: newUserView, nav: "admin-users", title: "新增账号" },
  { pattern: /^\/admin\/users\/([0-9A-Za-z._%-]{1,200})$/, view: userView, nav: "admin-users", title: "账号详情" },
  { pattern: /^\/admin\/departments$/, view: departmentsView, nav: "admin-departments", title: "部门管理" },
  { pattern: /^\/admin\/departments\/([0-9A-Za-z_%-]{1,100})$/, view: departmentView, nav: "admin-departments",
    title: "部门详情" },
];

export const MENU = [
  { label: "工作台", business: true, items: [{ nav: "home", href: "#/home", label: "工作台" }] },
  {
    label: "联合任务",
    business: true,
    items: [
      { nav: "tasks", href: "#/tasks", label: "我的任务" },
      { nav: "new", href: "#/tasks/new", label: "发起联合任务" },
      { nav: "objections", href: "#/objections", label: "异议与诉求" },
    ],
  },
  {
    label: "名录与清单",
    business: true,
    items: [
      { nav: "check-items", href: "#/check-items", label: "抽查事项清单" },
      { nav: "plans", href: "#/plans", label: "抽查工作计划" },
      { nav: "subjects", href: "#/subjects", label: "检查对象名录" },
      { nav: "inspectors", href: "#/inspectors", label: "执法检查人员名录" },
    ],
  },
  {
    label: "监督管理",
    business: true,
    items: [
      { nav: "late", href: "#/oversight/late-responses", label: "逾期响应", office: true },
      { nav: "no-day", href: "#/oversight/tasks-without-day", label: "未确定检查日", office: true },
      { nav: "overdue-results", href: "#/oversight/overdue-results", label: "结果逾期", office: true },
      { nav: "overdue-result-subjects", href: "#/oversight/overdue-result-subjects", label: "逾期未公示结果",
        office: true },
      { nav: "overdue-objections", href: "#/oversight/overdue-objections", label: "逾期异议", office: true },
      { nav: "overdue-requests", href: "#/oversight/overdue-requests", label: "逾期诉求", office: true },
      { nav: "requests-summary", href: "#/oversight/requests-summary", label: "诉求季度汇总", office: true },
      { nav: "overdue-archives", href: "#/oversight/overdue-archives", label: "逾期未归档", office: true },
      { nav: "figures", href: "#/oversight/department-figures", label: "部门响应统计", office: true },
      { nav: "fusion", href: "#/oversight/fusion-suggestions", label: "融合建议", office: true },
      { nav: "notices", href: "#/notices", label: "通报" },
      { nav: "calendar", href: "#/calendar", label: "工作日历", office: true },
      { nav: "result-settings", href: "#/result-settings", label: "结果公示设置", office: true },
    ],
  },
  {
    label: "公开查询",
    items: [
      { nav: "public-results", href: "#/public/results", label: "检查结果公示" },
      { nav: "verify-draw", href: "#/public/verify-draw", label: "抽取结果核验" },
      { nav: "visit", href: "#/visit", label: "检查对象查询" },
    ],
  },
  {
    label: "系统管理",
    items: [
      { nav: "admin-departments", href: "#/admin/departments", label: "部门管理", admin: true },
      { nav: "admin-users", href: "#/admin/users", label: "账号管理", admin: true },
      { nav: "password", href: "#/password", label: "修改密码" },
    ],
  },
];

/** Where a logged-in clerk starts (an administrator's account without a business role: 账号管理). */
export const HOME = "#/home";
export const ADMIN_HOME = "#/admin/users";
