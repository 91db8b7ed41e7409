// login.js: the token login page (for a browser talking to the
// controller directly; `reconcile ui` needs none).
import {h, replace} from "./dom.js";
import {APIError, get, setToken} from "./api.js";

export const name = "login";

export async function render(main, _params, ctx) {
  const input = h("input", {id: "token", name: "token", type: "password", autocomplete: "current-password", required: true, spellcheck: "false"});
  const error = h("p", {class: "page-error", role: "alert", hidden: true});
  // method post: even a submit without this script never puts the token
  // in a URL.
  const form = h("form", {class: "login", method: "post", onsubmit: async (ev) => {
    ev.preventDefault();
    setToken(input.value.trim());
    try {
      await get("/api/v1/ui/whoami");
    } catch (e) {
      setToken("");
      error.hidden = false;
      error.textContent = e instanceof APIError && e.status === 401 ? "That token is not accepted: " + e.message : e.message;
      input.focus();
      return;
    }
    await ctx.refreshMe();
    const after = sessionStorage.getItem("reconcile.after") || "#/";
    sessionStorage.removeItem("reconcile.after");
    location.hash = after === "#/login" ? "#/" : after;
  }},
  h("h1", {}, "Log in"),
  h("p", {}, "Paste a bearer token: the admin token (the controller's DATA/api-token) or a person's token from ",
    h("code", {}, "reconcile user create NAME --role viewer --token"), ". It is kept for this tab only. ",
    "Or run ", h("code", {}, "reconcile ui"), " to browse with your CLI credentials and no login."),
  h("label", {for: "token"}, "Token"), input, error,
  h("button", {type: "submit", class: "primary"}, "Log in"));
  replace(main, form);
  input.focus();
  return {};
}
