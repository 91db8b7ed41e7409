// history.js: the applied commits of a source with their change summary,
// the plan between any two (the markdown of `reconcile diff`, rendered as
// text nodes), and rollback / resume for the roles the server allows.
import {ago, h, keepFocus, replace, short} from "./dom.js";
import {get, post} from "./api.js";
import {renderMarkdown} from "./markdown.js";

export const name = "history";

export async function render(main, {source}, ctx) {
  const top = h("div", {});
  const diff = h("section", {"aria-labelledby": "h-diff", class: "diffbox"});
  const msg = h("p", {role: "status", class: "notice"});
  replace(main, top, diff);
  let chosen = null; // [from, to] the user picked
  const q = `source=${encodeURIComponent(source)}`;
  const draw = async () => {
    const [hist, sources] = await Promise.all([get(`/api/v1/history?${q}`), get("/api/v1/sources")]);
    const st = sources.find((s) => s.name === hist.source) || {};
    const may = (ctx.me && ctx.me.may) || {};
    const entries = hist.entries || [];
    const from = h("select", {id: "from"}, entries.map((e) => h("option", {value: e.commit}, `${short(e.commit)} ${firstLine(e.message)}`)));
    const to = h("select", {id: "to"}, entries.map((e) => h("option", {value: e.commit}, `${short(e.commit)} ${firstLine(e.message)}`)));
    if (entries.length > 1) {
      from.value = chosen ? chosen[0] : entries[1].commit;
      to.value = chosen ? chosen[1] : entries[0].commit;
    }
    const act = async (label, path) => {
      msg.textContent = label + "…";
      try {
        await post(path);
        msg.textContent = label + ": done.";
      } catch (e) {
        msg.textContent = label + " failed: " + e.message;
      }
      await keepFocus(draw);
    };
    replace(top,
      h("nav", {class: "crumbs", "aria-label": "Breadcrumb"}, h("a", {href: "#/"}, "Overview"), " / ", hist.source, " / history"),
      h("h1", {}, `History of ${hist.source}`),
      st.pinned ? h("p", {class: "pinned"}, "Pinned at ", h("code", {}, short(st.pinnedCommit)),
        st.pendingCommit ? [": the ref has moved on to ", h("code", {}, short(st.pendingCommit)), ", not applied."] : ".",
        may.resume ? [" ", h("button", {type: "button", id: "resume", onclick: () => act("Resume", `/api/v1/resume?${q}`)}, "Resume following the ref")] : null) : null,
      msg,
      entries.length ? h("div", {class: "scroll"}, h("table", {class: "history"},
        h("thead", {}, h("tr", {}, ["Commit", "Message", "Author", "Applied", "Changes", ""].map((c) => h("th", {scope: "col"}, c)))),
        h("tbody", {}, entries.map((e, i) => h("tr", {class: e.commit === st.lastAppliedCommit ? "current" : ""},
          h("td", {}, h("code", {title: e.commit}, short(e.commit)), e.commit === st.lastAppliedCommit ? h("span", {class: "pill"}, "running") : null,
            e.rollback ? h("span", {class: "pill warn"}, "rollback") : null, e.forced ? h("span", {class: "pill warn"}, "force-push") : null),
          h("td", {}, firstLine(e.message)), h("td", {}, e.author || ""), h("td", {}, ago(e.appliedAt)),
          h("td", {}, `+${e.created} ~${e.updated} -${e.deleted}`, e.summary ? h("div", {class: "muted"}, e.summary) : null),
          h("td", {}, may.rollback && e.commit !== st.lastAppliedCommit ? rollbackButton(e, () => act(`Rollback to ${short(e.commit)}`, `/api/v1/rollback?${q}&commit=${encodeURIComponent(e.commit)}`)) : null)))))) :
        h("p", {class: "muted"}, "No commit applied yet."),
      entries.length > 1 ? h("form", {class: "toolbar", onsubmit: (ev) => {
        ev.preventDefault();
        chosen = [from.value, to.value];
        showDiff(diff, q, from.value, to.value);
      }}, h("label", {for: "from"}, "From "), from, h("label", {for: "to"}, " to "), to, h("button", {type: "submit", id: "show-diff"}, "Show diff")) : null);
  };
  await draw();
  const entries = top.querySelectorAll("select");
  if (entries.length === 2) await showDiff(diff, q, entries[0].value, entries[1].value);
  return {refresh: () => keepFocus(draw)};
}

// rollbackButton asks once more before acting: a second button confirms.
function rollbackButton(e, run) {
  const box = h("span", {});
  const ask = () => replace(box,
    h("button", {type: "button", class: "danger", onclick: run}, `Confirm rollback to ${short(e.commit)}`), " ",
    h("button", {type: "button", onclick: () => { replace(box, first()); box.firstChild.focus(); }}, "Cancel"));
  const first = () => h("button", {type: "button", class: "rollback", dataset: {commit: e.commit}, "aria-label": `Roll back to ${short(e.commit)}…`, onclick: () => { ask(); box.firstChild.focus(); }}, "Roll back…");
  replace(box, first());
  return box;
}

async function showDiff(el, q, from, to) {
  replace(el, h("h2", {id: "h-diff"}, `Diff ${short(from)} → ${short(to)}`), h("p", {class: "muted"}, "Loading…"));
  try {
    const md = await get(`/api/v1/ui/diff?${q}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {as: "text"});
    replace(el, h("h2", {id: "h-diff"}, `Diff ${short(from)} → ${short(to)}`), renderMarkdown(md));
  } catch (e) {
    replace(el, h("h2", {id: "h-diff"}, "Diff"), h("p", {class: "page-error", role: "alert"}, e.message));
  }
}

function firstLine(m) {
  return (m || "").split("\n")[0];
}
