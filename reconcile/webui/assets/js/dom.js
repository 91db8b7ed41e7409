// dom.js builds elements with text nodes only: nothing from the server is
// ever parsed as HTML, so no value can inject markup or script.

// h creates an element: h("a", {href: "#/", class: "x"}, "text", child…).
// Attributes starting with "on" are event listeners (keyboard-usable
// elements only: links, buttons, form controls).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace swaps an element's children for new ones in one DOM operation.
export function replace(el, ...children) {
  const f = document.createDocumentFragment();
  append(f, children);
  el.replaceChildren(f);
}

export function short(commit) {
  return commit ? commit.slice(0, 8) : "";
}

// ago is a time as "3m ago" with the exact time in a title.
export function ago(t) {
  if (!t) return h("span", {class: "muted"}, "never");
  const d = new Date(t);
  const s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
  let txt = s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 86400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  return h("time", {datetime: d.toISOString(), title: d.toLocaleString()}, txt + " ago");
}

const icons = {Healthy: "✓", Progressing: "◔", Degraded: "✕", Suspended: "⏸", Missing: "?"};

// badge shows a health status as text with a colour and an icon: the
// colour is never the only signal.
export function badge(status, message) {
  const s = status || "Unknown";
  return h("span", {class: `badge h-${s}`, title: message || undefined}, h("span", {"aria-hidden": "true"}, icons[s] || "•"), " ", s);
}

// objectHref links to an object's page.
export function objectHref(kind, namespace, name) {
  return `#/object/${encodeURIComponent(kind)}/${encodeURIComponent(namespace || "_")}/${encodeURIComponent(name)}`;
}

// toYAML renders a JSON value as YAML for reading beside a manifest.
export function toYAML(v, indent = "") {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return v.map((x) => {
      const inner = toYAML(x, indent + "  ");
      return `\n${indent}- ` + (isScalar(x) ? inner : inner.replace(/^\n\s*/, ""));
    }).join("");
  }
  if (typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 0) return "{}";
    return keys.map((k) => {
      const x = v[k];
      const inner = toYAML(x, indent + "  ");
      return `\n${indent}${key(k)}:` + (isScalar(x) || inner === "[]" || inner === "{}" ? " " + inner : inner);
    }).join("");
  }
  if (typeof v === "string") {
    if (v.includes("\n")) return "|\n" + v.replace(/\n$/, "").split("\n").map((l) => indent + l).join("\n");
    return /^[\w./@%+-][\w ./:@%+=-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~|[\d.eE+-]+)$/i.test(v) ? v : JSON.stringify(v);
  }
  return String(v);
}

function isScalar(x) {
  return x === null || typeof x !== "object";
}

function key(k) {
  return /^[\w./-]+$/.test(k) ? k : JSON.stringify(k);
}

// keepFocus re-renders with fn and puts the keyboard focus back on the
// element with the same id or href, so a live refresh does not throw a
// keyboard user back to the top.
export async function keepFocus(fn) {
  const a = document.activeElement;
  const id = a && a !== document.body ? (a.id ? "#" + CSS.escape(a.id) : a.getAttribute("href") ? `[href="${CSS.escape(a.getAttribute("href"))}"]` : null) : null;
  await fn();
  if (id && document.activeElement !== a) {
    const el = document.querySelector(id);
    if (el) el.focus({preventScroll: true});
  }
}
