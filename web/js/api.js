// The one way the UI talks to the server: bearer token, error shape, idempotency keys, read-your-writes positions.

const SESSION_KEY = "jointinspect.session";
const POSITION_KEY = "jointinspect.position";
const PREFIX = "/api/v1";
const READ_RETRIES = 2;

/** An error in the API's one shape: {"error": {"code", "message", "details"}}; message is Chinese. */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * The login, shared by every tab of this browser (localStorage): a task opened in a new tab stays logged in; it
 * ends when the token expires (expires_in, timed locally) and, through the storage event, logging out in one tab ends it in all.
 */
export const session = {
  get() {
    let value = null;
    try {
      value = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    } catch {
      value = null;
    }
    if (value && value.expires_local && value.expires_local <= Date.now()) {
      this.clear();
      return null;
    }
    return value;
  },
  set(value) {
    // Timed by this machine's clock from the server's expires_in, so a skewed clock does not end it early.
    const expiresLocal = value.expires_in ? Date.now() + value.expires_in * 1000 : null;
    localStorage.setItem(SESSION_KEY, JSON.stringify({ ...value, expires_local: expiresLocal }));
  },
  clear() {
    localStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(POSITION_KEY);
  },
  /** Call `handler()` when another tab logs out or logs in as someone else. */
  onChangeElsewhere(handler) {
    window.addEventListener("storage", (event) => {
      if (event.key === SESSION_KEY || event.key === null) handler();
    });
  },
  isOffice() {
    return this.has("office");
  },
  isAdmin() {
    return this.has("admin");
  },
  /** Department staff or the office: an account that does business (an administrator's alone does not). */
  doesBusiness() {
    return this.has("department_staff") || this.has("office");
  },
  has(role) {
    const s = this.get();
    return Boolean(s && (s.roles || []).includes(role));
  },
};

/** The highest position this tab has seen (its commands, live messages); list/timeline reads wait for it
 * (min_position), so what a page shows is never older than what the clerk did or was told. */
export function lastPosition() {
  const value = Number(sessionStorage.getItem(POSITION_KEY) || 0);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** Remember a log position this tab has seen (a command's answer, a live message): later reads wait for it. */
export function notePosition(position) {
  if (typeof position === "number" && position > (lastPosition() || 0)) {
    sessionStorage.setItem(POSITION_KEY, String(position));
  }
}

function rememberPosition(body) {
  if (body) notePosition(body.position);
}

let unauthorizedHandler = () => {};
/** Called when the server says the token is missing or no longer valid (401). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/**
 * api("GET", "/joint-tasks", {query: {...}}) → parsed JSON (null for 204); throws ApiError.
 * Empty query values ("", null, undefined) are left out.
 */
export async function api(method, path, { body, query, idempotencyKey, anonymous = false } = {}) {
  const url = new URL(PREFIX + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.get()?.access_token;
  if (token && !anonymous) headers.Authorization = `Bearer ${token}`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;

  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "network_error", "无法连接服务器，请检查网络后重试。");
    }
    // A read the server is too busy to wait for (503 with Retry-After) is tried again, at most twice.
    if (response.status !== 503 || method !== "GET" || attempt >= READ_RETRIES) break;
    const seconds = Number(response.headers.get("Retry-After"));
    if (!Number.isFinite(seconds) || seconds <= 0) break;
    await new Promise((resolve) => { window.setTimeout(resolve, Math.min(seconds, 5) * 1000); });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const e = data && data.error;
    const error = e && e.message
      ? new ApiError(response.status, e.code, e.message, e.details)
      : new ApiError(response.status, "http_error", `请求失败（HTTP ${response.status}），请稍后重试。`);
    if (response.status === 401 && !anonymous) unauthorizedHandler(error);
    throw error;
  }
  rememberPosition(data);
  return data;
}

/** A v4 UUID; crypto.randomUUID exists only on https/localhost, so intranet http falls back to getRandomValues. */
export function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const b = window.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A sender for one form's command. Each distinct submission gets a fresh Idempotency-Key; resending the very same
 * request (a double click, a retry after a network failure) reuses the key, so the server records it once.
 */
export function commandSender({ anonymous = false } = {}) {
  let key = null;
  let signature = null;
  return async function send(method, path, body) {
    const sig = `${method} ${path} ${JSON.stringify(body ?? null)}`;
    if (sig !== signature) {
      signature = sig;
      key = newKey();
    }
    const result = await api(method, path, { body, idempotencyKey: key, anonymous });
    signature = null;
    key = null;
    return result;
  };
}

/** POST a file as multipart (api() sends JSON only), with `fields` beside it: the bearer token, an
 * Idempotency-Key, the one error shape. */
export async function postFile(path, file, key, fields = {}) {
  const body = new FormData();
  body.append("file", file, file.name);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const headers = { Accept: "application/json", "Idempotency-Key": key };
  const token = session.get()?.access_token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(PREFIX + path, { method: "POST", headers, body });
  } catch {
    throw new ApiError(0, "network_error", "无法连接服务器，请检查网络后重试。");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const e = data && data.error;
  if (response.status === 401) api("GET", "/auth/me").catch(() => {}); // lets api() end the expired session
  throw e && e.message ? new ApiError(response.status, e.code, e.message, e.details)
    : new ApiError(response.status, "http_error", `请求失败（HTTP ${response.status}），请稍后重试。`);
}
