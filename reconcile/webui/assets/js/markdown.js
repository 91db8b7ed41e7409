// markdown.js renders the plan markdown of `reconcile diff -o markdown`
// (reconcile/render_markdown.go) as DOM: headings, bold, inline code,
// block quotes, tables, ```diff fences and <details><summary> blocks. It
// never parses HTML: the few tags the renderer writes are recognised by
// their exact shape, every text goes in as a text node, and entities the
// renderer escaped are decoded for display only.
import {h} from "./dom.js";

const entities = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#39;": "'", "&#34;": '"'};

function decode(s) {
  return s.replace(/&(lt|gt|amp|quot|#39|#34);/g, (m) => entities[m]).replace(/\\\|/g, "|");
}

// inline renders **bold** and `code` spans of one line.
function inline(text) {
  const out = [];
  const re = /\*\*(.+?)\*\*|`([^`]+)`|<code>(.*?)<\/code>/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(decode(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(h("strong", {}, inline(m[1])));
    else out.push(h("code", {}, decode(m[2] !== undefined ? m[2] : m[3])));
    last = re.lastIndex;
  }
  if (last < text.length) out.push(decode(text.slice(last)));
  return out;
}

function cells(line) {
  return line.replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((c) => c.trim());
}

export function renderMarkdown(md) {
  const root = h("div", {class: "md"});
  const stack = [root];
  const top = () => stack[stack.length - 1];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if ((m = line.match(/^<details><summary>(.*)<\/summary>$/))) {
      const d = h("details", {}, h("summary", {}, inline(m[1])));
      top().appendChild(d);
      stack.push(d);
    } else if (line === "</details>") {
      if (stack.length > 1) stack.pop();
    } else if (line.startsWith("```")) {
      const lang = line.slice(3);
      const code = h("code", {});
      for (i++; i < lines.length && lines[i] !== "```"; i++) {
        const l = lines[i];
        const cls = lang === "diff" ? (l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "") : "";
        code.appendChild(h("span", {class: cls ? "ln " + cls : "ln"}, l));
        code.appendChild(document.createTextNode("\n"));
      }
      top().appendChild(h("pre", {class: "diff", tabindex: "0"}, code));
    } else if ((m = line.match(/^(#{1,6}) (.*)$/))) {
      top().appendChild(h("h" + Math.min(6, m[1].length + 1), {}, inline(m[2])));
    } else if (line.startsWith("|")) {
      const head = cells(line);
      const table = h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", {scope: "col"}, inline(c))))));
      const body = h("tbody", {});
      i++; // the |---| separator
      for (i++; i < lines.length && lines[i].startsWith("|"); i++) {
        body.appendChild(h("tr", {}, cells(lines[i]).map((c) => h("td", {}, inline(c)))));
      }
      i--;
      table.appendChild(body);
      top().appendChild(h("div", {class: "scroll"}, table));
    } else if (line.startsWith(">")) {
      const text = line.replace(/^>\s?/, "");
      if (text) top().appendChild(h("blockquote", {class: /Error/.test(text) ? "err" : ""}, inline(text)));
    } else if (line.trim() !== "") {
      top().appendChild(h("p", {}, inline(line)));
    }
  }
  // A short plan reads at once: its field diffs start open.
  const details = root.querySelectorAll("details");
  if (details.length <= 5) details.forEach((d) => (d.open = true));
  return root;
}
