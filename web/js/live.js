// Live updates: one websocket per tab (/ws), resumed with after=<last position> on reconnect, so no message is
// missed or seen twice. Pages subscribe while they are shown; the header shows "连接中断，正在重连…" while down.
import { notePosition, session } from "./api.js";

const RETRY_MS = [1000, 2000, 5000, 10000];
const listeners = new Set();
let socket = null;
let last = null; // the last position received; null until the first message: connect from the head
let attempt = 0;
let timer = null;
let wanted = false;

function statusBox() {
  return document.getElementById("live-status");
}

function setDown(down) {
  const box = statusBox();
  if (box) box.hidden = !down;
}

function url() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const token = encodeURIComponent(session.get()?.access_token || "");
  const after = last === null ? "head" : String(last);
  return `${scheme}://${window.location.host}/ws?token=${token}&after=${after}`;
}

function connect() {
  if (!wanted || socket) return;
  const ws = new WebSocket(url());
  socket = ws;
  ws.addEventListener("open", () => {
    attempt = 0;
    setDown(false);
  });
  ws.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (typeof message.position === "number" && (last === null || message.position > last)) {
      last = message.position;
    }
    if (message.type === "heartbeat") return;
    notePosition(message.position); // the next read waits until the read models show it
    for (const listener of [...listeners]) listener(message);
  });
  ws.addEventListener("close", (event) => {
    if (socket === ws) socket = null;
    if (!wanted) return;
    if (event.code === 4401) {
      wanted = false; // the token is gone: the next API call takes the clerk to the login page
      return;
    }
    if (event.code === 4422) last = null; // a position the server does not know: start from its head
    setDown(true);
    const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    attempt += 1;
    timer = window.setTimeout(connect, delay);
  });
}

/** Follow the log while logged in; idempotent. */
export function startLive() {
  wanted = true;
  connect();
}

/** Stop following (logout); the next login starts from the head again. */
export function stopLive() {
  wanted = false;
  last = null;
  window.clearTimeout(timer);
  setDown(false);
  if (socket) socket.close();
  socket = null;
}

/**
 * Call `listener(message)` for each message ({position, type, task_id, department, ...}; {type: "resync"} when the
 * server says to reload) while the page that subscribed is shown; returns the unsubscribe function.
 */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Unsubscribe every page's listener (the router does this before it renders the next page). */
export function unsubscribeAll() {
  listeners.clear();
}

/**
 * A function that runs `work` `ms` after the first call of a burst, with at most one run in flight and one queued:
 * under a steady stream of messages (the deadline watcher marking hundreds of overdue responses) the page still
 * refreshes every `ms` plus one load, instead of waiting for a quiet moment that never comes.
 */
export function coalesce(work, ms = 250) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    running = true;
    try {
      await work();
    } catch {
      // the page shows its own error; the next message tries again
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  function schedule() {
    if (running) {
      again = true;
      return;
    }
    if (timer === null) timer = window.setTimeout(run, ms);
  }
  return schedule;
}
