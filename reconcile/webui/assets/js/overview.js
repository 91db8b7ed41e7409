// overview.js: sources (ref, running commit, last attempt with its
// errors, pin, drift), nodes (readiness, capacity) and a health summary,
// all from one aggregated answer (GET /api/v1/ui/overview).
import {ago, badge, h, objectHref, replace, short} from "./dom.js";
import {get} from "./api.js";

export const name = "overview";

const order = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing"];

export async function render(main) {
  const draw = async () => {
    const ov = await get("/api/v1/ui/overview");
    const total = Object.values(ov.health).reduce((a, b) => a + b, 0);
    replace(main,
      h("div", {class: "headline"}, h("h1", {}, "Overview"),
        h("p", {class: "muted"}, `${ov.sources.length} source${ov.sources.length === 1 ? "" : "s"} · ${ov.nodes.length} node${ov.nodes.length === 1 ? "" : "s"} · ${total} objects assessed`),
        counts(ov.health)),
      h("section", {"aria-labelledby": "h-sources"}, h("h2", {id: "h-sources"}, "Sources"),
        ov.sources.length ? h("div", {class: "cards"}, ov.sources.map(source)) : h("p", {class: "muted"}, "No git sources.")),
      problems(ov),
      h("section", {"aria-labelledby": "h-nodes"}, h("h2", {id: "h-nodes"}, "Nodes"), nodes(ov.nodes)),
      summary(ov));
  };
  await draw();
  return {refresh: draw};
}

function counts(health) {
  return h("ul", {class: "counts"}, order.filter((s) => health[s]).map((s) =>
    h("li", {}, badge(s), " ", h("strong", {}, String(health[s])))));
}

function summary(ov) {
  return h("section", {"aria-labelledby": "h-health", class: "summary"},
    h("h2", {id: "h-health"}, "Health by kind"),
    ov.kinds && ov.kinds.length ? h("div", {class: "scroll"}, h("table", {class: "kinds"},
      h("thead", {}, h("tr", {}, h("th", {scope: "col"}, "Kind"), order.map((s) => h("th", {scope: "col", class: "num"}, s)))),
      h("tbody", {}, ov.kinds.map((k) => h("tr", {}, h("th", {scope: "row"}, k.kind),
        order.map((s) => h("td", {class: "num" + (k.health[s] ? " h-" + s : "")}, k.health[s] ? String(k.health[s]) : "–"))))))) : null);
}

function source(s) {
  const attempted = s.lastAttemptedCommit && s.lastAttemptedCommit !== s.lastAppliedCommit;
  const drift = s.drift || {found: 0, repaired: 0};
  return h("article", {class: "card source" + (s.errors && s.errors.length ? " bad" : ""), "aria-labelledby": "src-" + s.name, dataset: {source: s.name}},
    h("h3", {id: "src-" + s.name}, s.name, s.pinned ? h("span", {class: "pill warn"}, "pinned") : null),
    h("dl", {},
      h("dt", {}, "Repository"), h("dd", {class: "wrap"}, s.url, s.path ? ` (path ${s.path})` : ""),
      h("dt", {}, "Ref"), h("dd", {}, s.ref || "HEAD", s.resolvedRef ? ` → ${s.resolvedRef}` : ""),
      h("dt", {}, "Running"), h("dd", {class: "running"}, s.lastAppliedCommit ?
        [h("code", {class: "commit", title: s.lastAppliedCommit}, short(s.lastAppliedCommit)), " ", firstLine(s.lastAppliedMessage), " · ", ago(s.lastAppliedAt), ` · ${s.objects} objects`] :
        h("span", {class: "muted"}, "nothing applied yet")),
      attempted ? [h("dt", {}, "Last attempted"), h("dd", {class: "attempted"},
        h("code", {class: "commit", title: s.lastAttemptedCommit}, short(s.lastAttemptedCommit)), " ", firstLine(s.lastAttemptedMessage), " · ", ago(s.lastAttemptedAt))] : null,
      s.pinned ? [h("dt", {}, "Pinned"), h("dd", {}, "at ", h("code", {}, short(s.pinnedCommit)),
        s.pendingCommit ? [" · newest at the ref: ", h("code", {}, short(s.pendingCommit)), " (not applied)"] : null)] : null,
      h("dt", {}, "Drift"), h("dd", {}, `${drift.found} found, ${drift.repaired} repaired`, s.driftMode ? ` (${s.driftMode})` : "",
        drift.last ? [h("br"), h("span", {class: "muted"}, `last: ${drift.last.object}: ${drift.last.change}`)] : null),
      h("dt", {}, "Health"), h("dd", {}, counts(s.health || {}))),
    s.errors && s.errors.length ? h("div", {class: "errors", role: "alert"},
      h("p", {}, h("strong", {}, `Commit ${short(s.lastAttemptedCommit)} was refused (${s.errors.length} error${s.errors.length > 1 ? "s" : ""}); the last good commit keeps running:`)),
      h("ul", {}, s.errors.map((e) => h("li", {}, h("code", {class: "error"}, e))))) : null,
    s.fetchError ? h("p", {class: "errors", role: "alert"}, "Fetch failed: ", s.fetchError) : null,
    h("p", {class: "links"},
      h("a", {href: `#/history/${encodeURIComponent(s.name)}`}, "History"),
      (s.namespaces || []).map((ns) => [" · ", h("a", {href: `#/tree/${encodeURIComponent(s.name)}/${encodeURIComponent(ns)}`}, `Tree: ${ns}`)])));
}

function firstLine(m) {
  return (m || "").split("\n")[0];
}

function nodes(list) {
  if (!list.length) return h("p", {class: "muted"}, "No nodes registered.");
  return h("div", {class: "scroll"}, h("table", {},
    h("thead", {}, h("tr", {}, ["Node", "Ready", "Scheduling", "CPU", "Memory", "Pods", "Address", "Version"].map((c) => h("th", {scope: "col"}, c)))),
    h("tbody", {}, list.map((n) => h("tr", {},
      h("th", {scope: "row"}, h("a", {href: objectHref("Node", "", n.name)}, n.name)),
      h("td", {}, h("span", {class: "badge " + (n.ready === "True" ? "h-Healthy" : "h-Degraded"), title: n.reason || undefined}, n.ready === "True" ? "Ready" : n.ready === "False" ? "NotReady" : "Unknown")),
      h("td", {}, n.unschedulable ? "cordoned" : "schedulable"),
      h("td", {}, n.cpu || "–"), h("td", {}, memory(n.memory)),
      h("td", {}, `${n.podsBound} / ${n.pods || "–"}`),
      h("td", {}, n.address || "–"), h("td", {}, n.version || "–"))))));
}

// memory shows a Kubernetes quantity of bytes in GiB or MiB.
function memory(q) {
  if (!q) return "–";
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const mult = {Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12}[m[2]] || 1;
  const bytes = parseFloat(m[1]) * mult;
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function problems(ov) {
  if (!ov.problemsTotal) return h("section", {"aria-labelledby": "h-problems"}, h("h2", {id: "h-problems"}, "Problems"), h("p", {class: "muted"}, "Every assessed object is healthy or suspended."));
  return h("section", {"aria-labelledby": "h-problems"},
    h("h2", {id: "h-problems"}, `Problems (${ov.problemsTotal})`),
    ov.problemsTotal > ov.problems.length ? h("p", {class: "muted"}, `The first ${ov.problems.length}, worst first.`) : null,
    h("ul", {class: "problems"}, ov.problems.map((p) => h("li", {},
      badge(p.health, p.message), " ", h("a", {href: objectHref(p.kind, p.namespace, p.name)}, `${p.kind} ${p.namespace ? p.namespace + "/" : ""}${p.name}`),
      p.message ? h("span", {class: "muted"}, " — ", p.message) : null))));
}
