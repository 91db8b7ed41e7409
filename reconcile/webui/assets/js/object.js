// object.js: one object: its file in git beside the live object, its
// conditions and events, and for a pod its containers' log, streaming.
import {ago, badge, h, keepFocus, objectHref, replace, short, toYAML} from "./dom.js";
import {get, stream} from "./api.js";

export const name = "object";

export async function render(main, {kind, namespace, name: objName}) {
  const details = h("div", {});
  const logs = h("div", {});
  replace(main, details, logs);
  const q = `kind=${encodeURIComponent(kind)}&namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(objName)}`;
  let logView = null;
  const draw = async () => {
    const v = await get(`/api/v1/ui/object?${q}`);
    replace(details, header(v), sideBySide(v), conditions(v.object), events(v.events));
    if (!logView && v.containers && v.containers.length) logView = logPanel(logs, v);
  };
  await draw();
  return {
    refresh: () => keepFocus(draw),
    dispose: () => logView && logView.stop(),
  };
}

function header(v) {
  const chain = (v.owners || []).slice().reverse();
  return [
    h("nav", {class: "crumbs", "aria-label": "Breadcrumb"}, h("a", {href: "#/"}, "Overview"),
      v.source && v.namespace ? [" / ", h("a", {href: `#/tree/${encodeURIComponent(v.source)}/${encodeURIComponent(v.namespace)}`}, `${v.source} in ${v.namespace}`)] : null,
      chain.map((o) => [" / ", h("a", {href: objectHref(o.kind, o.namespace, o.name)}, `${o.kind} ${o.name}`)])),
    h("h1", {}, h("span", {class: "kind"}, v.kind), " ", v.namespace ? v.namespace + "/" : "", v.name, " ", v.health ? badge(v.health, v.message) : null),
    v.message ? h("p", {class: "muted"}, v.message) : null,
  ];
}

function sideBySide(v) {
  const m = v.manifest;
  const gitSide = m ? h("section", {class: "pane", "aria-labelledby": "h-git"},
    h("h2", {id: "h-git"}, "In git"),
    h("p", {class: "muted"}, h("code", {}, m.path), " at ", h("code", {title: m.commit}, short(m.commit)), ` (source ${m.source})`,
      m.of && (m.of.kind !== v.kind || m.of.name !== v.name) ? [" — declares ", h("a", {href: objectHref(m.of.kind, m.of.namespace, m.of.name)}, `${m.of.kind} ${m.of.name}`), `, which created this ${v.kind}`] : null),
    m.error ? h("p", {class: "page-error"}, m.error) : h("pre", {class: "code", tabindex: "0", "aria-label": "Manifest in git"}, m.text)) :
    h("section", {class: "pane", "aria-labelledby": "h-git"}, h("h2", {id: "h-git"}, "In git"), h("p", {class: "muted"}, "Not from git: created by the system."));
  const obj = Object.assign({}, v.object);
  return h("div", {class: "split"}, gitSide,
    h("section", {class: "pane", "aria-labelledby": "h-live"}, h("h2", {id: "h-live"}, "Live"),
      h("p", {class: "muted"}, "The stored object, status included", v.kind === "Secret" ? " (values masked)" : ""),
      h("pre", {class: "code", tabindex: "0", "aria-label": "Live object"}, toYAML(obj).replace(/^\n/, ""))));
}

function conditions(o) {
  const cs = (o.status && o.status.conditions) || [];
  return h("section", {"aria-labelledby": "h-cond"}, h("h2", {id: "h-cond"}, "Conditions"),
    cs.length ? h("div", {class: "scroll"}, h("table", {},
      h("thead", {}, h("tr", {}, ["Type", "Status", "Reason", "Message", "Changed"].map((c) => h("th", {scope: "col"}, c)))),
      h("tbody", {}, cs.map((c) => h("tr", {}, h("td", {}, c.type), h("td", {class: c.status === "True" ? "ok" : "warn"}, c.status),
        h("td", {}, c.reason || ""), h("td", {}, c.message || ""), h("td", {}, ago(c.lastTransitionTime || c.lastUpdateTime))))))) :
      h("p", {class: "muted"}, "None."));
}

function events(evs) {
  return h("section", {"aria-labelledby": "h-events"}, h("h2", {id: "h-events"}, "Events"),
    evs.length ? h("div", {class: "scroll"}, h("table", {},
      h("thead", {}, h("tr", {}, ["Type", "Reason", "Age", "From", "Message"].map((c) => h("th", {scope: "col"}, c)))),
      h("tbody", {}, evs.map((e) => h("tr", {class: e.type === "Warning" ? "warn" : ""}, h("td", {}, e.type), h("td", {}, e.reason),
        h("td", {}, ago(e.last), e.count > 1 ? ` (×${e.count})` : ""), h("td", {}, e.source || ""), h("td", {}, e.message)))))) :
      h("p", {class: "muted"}, "None."));
}

// logPanel streams a container's log (GET …/log?follow=true) into a
// <pre>, keeping the last lines, until the page closes or another
// container is chosen.
function logPanel(el, v) {
  let ctl = null;
  const out = h("pre", {class: "log", id: "log", tabindex: "0", "aria-label": "Container log", "aria-live": "off"});
  const state = h("span", {class: "muted", role: "status"});
  const select = h("select", {id: "container", onchange: () => start()}, v.containers.map((c) => h("option", {value: c}, c)));
  const follow = h("input", {type: "checkbox", id: "follow", checked: true, onchange: () => start()});
  const max = 2000;
  const start = () => {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const mine = ctl;
    out.textContent = "";
    state.textContent = follow.checked ? "following…" : "loading…";
    let pending = "";
    const path = `/api/v1/pods/${encodeURIComponent(v.name)}/log?namespace=${encodeURIComponent(v.namespace)}&container=${encodeURIComponent(select.value)}&tailLines=500${follow.checked ? "&follow=true" : ""}`;
    stream(path, (text) => {
      pending += text;
      const i = pending.lastIndexOf("\n");
      if (i < 0) return;
      out.appendChild(document.createTextNode(pending.slice(0, i + 1)));
      pending = pending.slice(i + 1);
      while (out.childNodes.length > max) out.removeChild(out.firstChild);
      out.scrollTop = out.scrollHeight;
    }, mine.signal).then(() => {
      if (mine === ctl) state.textContent = follow.checked ? "the stream ended (the container stopped?)" : "";
    }, (e) => {
      if (mine === ctl) state.textContent = "log unavailable: " + e.message;
    });
  };
  replace(el, h("section", {"aria-labelledby": "h-logs"}, h("h2", {id: "h-logs"}, "Logs"),
    h("div", {class: "toolbar"}, h("label", {for: "container"}, "Container "), select,
      h("label", {class: "check"}, follow, " Follow"), state),
    out));
  start();
  return {stop: () => ctl && ctl.abort()};
}
