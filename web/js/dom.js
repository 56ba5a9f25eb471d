// Tiny DOM helpers: build elements without innerHTML, so no text from the API is ever parsed as HTML.

/**
 * h("a", {href: "#/x", class: "link", onclick: fn}, "文本", child, [more, children])
 * Attributes: "class", "for", on* handlers, booleans (true → present, false/null → absent), everything else as attributes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "for") {
      el.htmlFor = value;
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled") {
      el[name] = Boolean(value);
      if (value) el.setAttribute(name, "");
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace every child of `parent` with `children`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let counter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix = "f") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form control: returns {wrap, input, error} with label, hint and a slot for the field's error. */
export function field({ label, name, type = "text", hint, required = false, control, attrs = {} }) {
  const id = uid(name || "field");
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = control || (type === "textarea"
    ? h("textarea", { id, name, rows: 3, ...attrs })
    : h("input", { id, name, type, ...attrs }));
  if (!input.id) input.id = id;
  input.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  if (required) input.setAttribute("aria-required", "true");
  const error = h("p", { class: "field-error", id: errorId });
  const wrap = h("div", { class: "field", "data-field": name },
    h("label", { for: input.id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    input,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    error);
  return { wrap, input, error };
}
