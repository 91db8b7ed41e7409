// app.js: the router (location hash), the login gate, the navigation and
// the live change stream that tells the open page to refresh.
import {h, replace} from "./dom.js";
import {APIError, events, get, setToken, token} from "./api.js";
import * as overview from "./overview.js";
import * as tree from "./tree.js";
import * as object from "./object.js";
import * as history from "./history.js";
import * as login from "./login.js";

const main = document.getElementById("main");
const live = document.getElementById("live");
const who = document.getElementById("who");
const nav = document.getElementById("nav");

const routes = [
  [/^#?\/?$/, overview, () => ({})],
  [/^#\/tree\/([^/]+)\/([^/]+)$/, tree, (m) => ({source: m[1], namespace: m[2]})],
  [/^#\/object\/([^/]+)\/([^/]+)\/([^/]+)$/, object, (m) => ({kind: m[1], namespace: m[2] === "_" ? "" : m[2], name: m[3]})],
  [/^#\/history\/([^/]+)$/, history, (m) => ({source: m[1]})],
  [/^#\/login$/, login, () => ({})],
];

const ctx = {me: null, refreshMe, logout};
let current = null; // {page, view, token}
let stopEvents = null;
let renders = 0;

async function refreshMe() {
  ctx.me = await get("/api/v1/ui/whoami");
  replace(who, ctx.me.name, " (", ctx.me.role, ")",
    token() ? [" ", h("button", {type: "button", class: "link", onclick: logout}, "Log out")] : null);
  replace(nav, h("a", {href: "#/"}, "Overview"));
  if (!stopEvents) stopEvents = events(onChange, onState);
}

function logout() {
  setToken("");
  if (stopEvents) stopEvents();
  stopEvents = null;
  ctx.me = null;
  replace(who);
  replace(nav);
  location.hash = "#/login";
}

function onState(connected, err) {
  live.textContent = connected ? "live" : "reconnecting…";
  live.className = connected ? "live on" : "live";
  if (err instanceof APIError && err.status === 401) logout();
}

let pendingChange = null;
function onChange(type, data) {
  if (type !== "change" && type !== "reconnect") return;
  if (!current || !current.view || !current.view.refresh) return;
  // One refresh at a time; changes arriving meanwhile make one more.
  if (pendingChange) {
    pendingChange.again = true;
    return;
  }
  const run = async () => {
    pendingChange = {again: false};
    try {
      await current.view.refresh(data);
      markReady(current.page.name);
    } catch (e) {
      showError(e);
    }
    const again = pendingChange.again;
    pendingChange = null;
    if (again) run();
  };
  run();
}

function markReady(name) {
  renders++;
  // Milliseconds from the navigation's start to this render: what the
  // overview benchmark reports as the page's own view of its speed.
  if (renders === 1) document.body.dataset.firstRenderMs = String(Math.round(performance.now()));
  main.dataset.ready = name;
  document.body.dataset.renders = String(renders);
}

function showError(e) {
  if (e instanceof APIError && e.status === 401) {
    logout();
    return;
  }
  const box = main.querySelector(".page-error") || main.insertBefore(h("p", {class: "page-error", role: "alert"}), main.firstChild);
  box.textContent = String(e && e.message ? e.message : e);
}

async function route() {
  const hash = location.hash || "#/";
  if (current && current.view && current.view.dispose) current.view.dispose();
  current = null;
  delete main.dataset.ready;
  let found = routes.find(([re]) => re.test(hash));
  if (!found) {
    replace(main, h("h1", {}, "Not found"), h("p", {}, h("a", {href: "#/"}, "Back to the overview")));
    return;
  }
  const [re, page, params] = found;
  if (!ctx.me && page !== login) {
    try {
      await refreshMe();
    } catch (e) {
      if (e instanceof APIError && e.status === 401) {
        if (token()) setToken(""); // a stale token: ask again
        sessionStorage.setItem("reconcile.after", hash);
        location.hash = "#/login";
        return;
      }
      replace(main, h("h1", {}, "The controller did not answer"), h("p", {class: "page-error", role: "alert"}, e.message));
      return;
    }
  }
  const p = params(hash.match(re));
  for (const k of Object.keys(p)) p[k] = decodeURIComponent(p[k]);
  const me = {page, view: null};
  current = me;
  try {
    const view = await page.render(main, p, ctx);
    if (current !== me) {
      if (view && view.dispose) view.dispose();
      return;
    }
    me.view = view;
    markReady(page.name);
  } catch (e) {
    if (current === me) {
      replace(main, h("h1", {}, "Error"), h("p", {class: "page-error", role: "alert"}, e.message || String(e)));
      if (e instanceof APIError && e.status === 401) logout();
    }
  }
}

window.addEventListener("hashchange", () => {
  route();
  main.focus({preventScroll: true});
});
route();

// Leaving the page ends its streams at once: a browser allows six
// connections per host, and a stream left open by a page kept in the
// back/forward cache would hold one.
window.addEventListener("pagehide", () => {
  if (stopEvents) stopEvents();
  stopEvents = null;
  if (current && current.view && current.view.dispose) current.view.dispose();
});
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted && ctx.me && !stopEvents) {
    stopEvents = events(onChange, onState);
    onChange("reconnect", null);
  }
});
