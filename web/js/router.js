// Hash routes: "#/tasks?tab=lead" → {path: "/tasks", params}.

export function currentRoute() {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, params: new URLSearchParams(query) };
}

/** Go to a route; going to the route already shown renders it again. */
export function navigate(hash) {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = hash;
}

/** Rewrite the address without a navigation (filters and paging keep their state in it, so 返回 restores them). */
export function replaceQuery(path, params) {
  const query = params.toString();
  history.replaceState(null, "", `#${path}${query ? `?${query}` : ""}`);
}
