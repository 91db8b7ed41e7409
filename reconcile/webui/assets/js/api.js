// api.js talks to the controller's API: the bearer token from the login
// page (sessionStorage: sent only by this script, so no other site can
// make the browser send it, and gone when the tab closes), or none behind
// `reconcile ui`, which adds the caller's credentials itself.

const KEY = "reconcile.token";

export function token() {
  return sessionStorage.getItem(KEY) || "";
}

export function setToken(t) {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra) {
  const h = Object.assign({}, extra);
  const t = token();
  if (t) h["Authorization"] = "Bearer " + t;
  return h;
}

async function failure(resp) {
  let msg = `${resp.status} ${resp.statusText}`;
  try {
    const body = await resp.text();
    try {
      const st = JSON.parse(body);
      if (st && st.message) msg = st.message;
    } catch {
      if (body) msg = body.trim();
    }
  } catch {
    // the body could not be read: keep the status line
  }
  return new APIError(resp.status, msg);
}

// request fetches path and returns the parsed JSON (or text).
export async function request(path, {method = "GET", as = "json", signal} = {}) {
  const resp = await fetch(path, {method, headers: headers({Accept: as === "json" ? "application/json" : "text/plain"}), signal, credentials: "omit", cache: "no-store"});
  if (!resp.ok) throw await failure(resp);
  return as === "json" ? resp.json() : resp.text();
}

export const get = (path, opts) => request(path, opts);
export const post = (path, opts) => request(path, Object.assign({method: "POST"}, opts));

// stream reads a long response chunk by chunk as text, calling onText for
// each; it resolves when the response ends and rejects on failure (an
// abort through signal resolves quietly).
export async function stream(path, onText, signal) {
  let resp;
  try {
    resp = await fetch(path, {headers: headers({}), signal, credentials: "omit", cache: "no-store"});
  } catch (e) {
    if (signal && signal.aborted) return;
    throw e;
  }
  if (!resp.ok) throw await failure(resp);
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      onText(dec.decode(value, {stream: true}));
    }
  } catch (e) {
    if (signal && signal.aborted) return;
    throw e;
  }
}

// events follows GET /api/v1/ui/changes (text/event-stream) and calls
// onEvent(type, data) per event, reconnecting after a second when the
// stream ends; onState(connected) reports the connection. A fetch, not
// EventSource: EventSource cannot send the Authorization header.
export function events(onEvent, onState) {
  const ctl = new AbortController();
  const run = async () => {
    while (!ctl.signal.aborted) {
      let buf = "";
      try {
        await stream("/api/v1/ui/changes", (text) => {
          buf += text;
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let type = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) type = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            if (block.startsWith(":")) continue; // keep-alive comment
            if (type === "ready") onState(true);
            onEvent(type, data ? JSON.parse(data) : null);
          }
        }, ctl.signal);
      } catch (e) {
        if (e instanceof APIError && e.status === 401) {
          onState(false, e);
          return;
        }
      }
      if (ctl.signal.aborted) return;
      onState(false);
      await new Promise((r) => setTimeout(r, 1000));
      onEvent("reconnect", null); // changes may have been missed: refetch
    }
  };
  run();
  return () => ctl.abort();
}
