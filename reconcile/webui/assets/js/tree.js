// tree.js: the objects of one source in one namespace as Argo CD draws
// an application, each coloured by health, refreshed on every change.
import {badge, h, keepFocus, objectHref, replace} from "./dom.js";
import {get} from "./api.js";

export const name = "tree";

export async function render(main, {source, namespace}) {
  const draw = async () => {
    const t = await get(`/api/v1/ui/tree?source=${encodeURIComponent(source)}&namespace=${encodeURIComponent(namespace)}`);
    replace(main,
      h("nav", {class: "crumbs", "aria-label": "Breadcrumb"}, h("a", {href: "#/"}, "Overview"), " / ", source, " / ", namespace),
      h("h1", {}, `${source} in ${namespace}`),
      h("p", {class: "links"}, h("a", {href: `#/history/${encodeURIComponent(source)}`}, "History of " + source)),
      t.roots.length ? h("ul", {class: "tree", "aria-label": "Objects"}, t.roots.map(node)) :
        h("p", {class: "muted"}, "No objects of this source in this namespace."));
  };
  await draw();
  return {refresh: () => keepFocus(draw)};
}

function node(n) {
  const kids = n.children || [];
  return h("li", {},
    h("a", {class: `node h-${n.health || "None"}`, href: objectHref(n.kind, n.namespace, n.name), dataset: {kind: n.kind, name: n.name}},
      h("span", {class: "kind"}, n.kind),
      h("span", {class: "name"}, n.name),
      n.health ? badge(n.health, n.message) : null,
      n.info ? h("span", {class: "info"}, n.info) : null,
      n.path ? h("span", {class: "path"}, n.path) : null),
    kids.length ? h("ul", {}, kids.map(node)) : null);
}
