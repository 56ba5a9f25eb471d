// Small inline SVG charts (no library): a horizontal bar chart and a column histogram. Every chart is an
// <svg role="img"> with a <title> and <desc>, and each bar carries its own <title> (a tooltip and a text
// alternative); text from the API is set as text content, never parsed as markup.

const NS = "http://www.w3.org/2000/svg";

/** s("rect", {x: 1, class: "bar"}, child, "text") — an SVG element; like dom.js h() but in the SVG namespace. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let counter = 0;
function chartId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

function frame({ width, height, title, description, className }) {
  const titleId = chartId("chart-title");
  const descId = chartId("chart-desc");
  const svg = s("svg", {
    xmlns: NS, viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: `chart ${className}`,
    "aria-labelledby": titleId, "aria-describedby": descId, preserveAspectRatio: "xMinYMin meet",
  }, s("title", { id: titleId }, title), s("desc", { id: descId }, description));
  svg.style.maxWidth = `${width}px`; // through the CSSOM: the page's CSP refuses style attributes
  return svg;
}

/**
 * Horizontal bars, one per item: [{key, label, value (null: no data), text?}], scaled to `max` (default: the
 * largest value). Returns the <svg>.
 */
export function barChart({ title, description, items, max = null, unit = "", width = 560 }) {
  const labelWidth = 120;
  const valueWidth = 116;
  const barHeight = 20;
  const gap = 8;
  const top = 8;
  const axis = 22;
  const plot = width - labelWidth - valueWidth;
  const scale = Math.max(max ?? 0, ...items.map((i) => i.value ?? 0), 1);
  const height = top + items.length * (barHeight + gap) + axis;
  const svg = frame({ width, height, title, description, className: "bar-chart" });
  items.forEach((item, index) => {
    const y = top + index * (barHeight + gap);
    const value = item.value;
    const length = value === null || value === undefined ? 0 : Math.max(0, (value / scale) * plot);
    const text = item.text ?? (value === null || value === undefined ? "无数据" : `${value}${unit}`);
    svg.append(s("g", { class: "bar-row", "data-key": item.key, "data-value": value ?? "" },
      s("title", {}, `${item.label}：${text}`),
      s("text", { x: labelWidth - 8, y: y + barHeight / 2, class: "chart-label", "text-anchor": "end",
        "dominant-baseline": "middle" }, item.label),
      s("rect", { x: labelWidth, y, width: plot, height: barHeight, class: "bar-track" }),
      s("rect", { x: labelWidth, y, width: length.toFixed(1), height: barHeight,
        class: `bar${value === null || value === undefined ? " bar-empty" : ""}` }),
      s("text", { x: labelWidth + plot + 6, y: y + barHeight / 2, class: "chart-value",
        "dominant-baseline": "middle" }, text)));
  });
  // The scale under the bars: 0, half and the top.
  const base = top + items.length * (barHeight + gap);
  svg.append(s("g", { class: "chart-axis", "aria-hidden": "true" },
    s("line", { x1: labelWidth, x2: labelWidth + plot, y1: base, y2: base }),
    [0, 0.5, 1].map((f) => s("text", { x: labelWidth + f * plot, y: base + 15,
      "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle" }, `${Math.round(f * scale)}${unit}`))));
  return svg;
}

/**
 * Columns of counts per bin: [{key, label, count}]. The y axis counts `yUnit` (e.g. "个部门").
 */
export function histogram({ title, description, bins, xLabel = "", yUnit = "", width = 560, height = 220 }) {
  const left = 36;
  const right = 10;
  const top = 16;
  const bottom = 44;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const most = Math.max(1, ...bins.map((b) => b.count));
  const slot = plotW / Math.max(1, bins.length);
  const svg = frame({ width, height, title, description, className: "histogram" });
  const base = top + plotH;
  svg.append(s("g", { class: "chart-axis", "aria-hidden": "true" },
    s("line", { x1: left, x2: left + plotW, y1: base, y2: base }),
    s("line", { x1: left, x2: left, y1: top, y2: base }),
    s("text", { x: left - 6, y: top + 4, "text-anchor": "end" }, String(most)),
    s("text", { x: left - 6, y: base, "text-anchor": "end" }, "0"),
    xLabel ? s("text", { x: left + plotW / 2, y: height - 4, "text-anchor": "middle" }, xLabel) : null));
  bins.forEach((bin, index) => {
    const x = left + index * slot;
    const barH = (bin.count / most) * plotH;
    svg.append(s("g", { class: "hist-bin", "data-key": bin.key, "data-count": bin.count },
      s("title", {}, `${bin.label}：${bin.count}${yUnit}`),
      s("rect", { x: (x + slot * 0.12).toFixed(1), y: (base - barH).toFixed(1), width: (slot * 0.76).toFixed(1),
        height: barH.toFixed(1), class: "bar" }),
      bin.count ? s("text", { x: x + slot / 2, y: base - barH - 3, "text-anchor": "middle", class: "chart-value" },
        String(bin.count)) : null,
      s("text", { x: x + slot / 2, y: base + 15, "text-anchor": "middle", class: "chart-label" }, bin.label)));
  });
  return svg;
}
