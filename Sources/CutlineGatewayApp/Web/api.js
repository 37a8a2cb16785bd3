// The one way the page talks to the Gateway: every request is the documented HTTP API
// (/api/openapi.yaml), sent by `api`, with a lost connection shown in one banner.

import { $, setText, showError } from "./dom.js";

/** An error the API answered, worded by the API. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (the caller then finds it aborted). */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

const pending = new Map();

/** A signal for the next request of `kind` that aborts the one before it: a newer question makes the
 *  older answer worthless (the plan, the preview, a job's status, an upload). */
export function latest(kind) {
  pending.get(kind)?.abort();
  const controller = new AbortController();
  pending.set(kind, controller);
  return controller.signal;
}

/** Aborts the request of `kind` in flight, if any, with nothing after it. */
export function abort(kind) {
  pending.get(kind)?.abort();
  pending.delete(kind);
}

function showConnection(message) {
  const banner = $("connection");
  banner.hidden = !message;
  setText(banner, message || "");
}

/** The API's error for a response that is not OK; a body that is not the API's JSON is its message. */
async function errorOf(response) {
  const text = await response.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {}
  error = error || { code: "http_" + response.status, message: text || response.statusText };
  return new ApiError(response.status, error.code, error.message);
}

/** One API call; a lost connection is shown and retried, never a silent spinner. Options: `body` (sent
 *  as JSON), `headers`, `signal` (see `latest`), `as` ("json", "blob", or "response" for a caller that
 *  reads the headers; a 304 is answered only to one that sent If-None-Match), and `retry: false` for a
 *  caller that asks again on its own schedule (the status poll), which gets the network error. */
export async function api(method, path, { body, headers = {}, signal, as = "json", retry = true } = {}) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: body ? { "Content-Type": "application/json", ...headers } : headers,
        body: body ? JSON.stringify(body) : undefined,
        signal,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      showConnection(`The Gateway cannot be reached; trying again${retry ? ` (${attempt + 1})` : ""}…`);
      if (!retry) throw error;
      await sleep(Math.min(1000 * 2 ** attempt, 10000), signal);  // aborted: the next fetch throws
      continue;
    }
    showConnection(null);
    if (response.status === 401) {
      await signIn();
      continue;
    }
    if (!response.ok && response.status !== 304) throw await errorOf(response);
    if (as === "response") return response;
    if (as === "blob") return response.blob();
    const text = await response.text();
    return text ? JSON.parse(text) : {};
  }
}

let signingIn = null;

/** Asks for the Gateway's token once, however many calls were refused at the same time, and resolves
 *  when the Gateway has set its session cookie (HttpOnly: the token is not kept where a script can read
 *  it). The dialog stays until then: without the token nothing on the page works. */
function signIn() {
  signingIn ??= new Promise((resolve) => {
    const dialog = $("signin");
    const form = $("signin-form");
    const input = $("signin-token");
    const button = form.querySelector("button");
    dialog.oncancel = (event) => event.preventDefault();
    form.onsubmit = async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const response = await fetch("/api/session", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: input.value }),
        });
        if (!response.ok) throw await errorOf(response);
        input.value = "";
        showError("signin-error", null);
        dialog.close();
        $("signout").hidden = false;
        signingIn = null;
        resolve();
      } catch (error) {
        showError("signin-error", error.status === 401 ? "That is not this Cutline's token." : error);
        input.select();
      } finally {
        button.disabled = false;
      }
    };
    dialog.showModal();
    input.focus();
  });
  return signingIn;
}

/** Offers "Sign out" when this Gateway has a token and this browser is signed in to it. */
export async function showSession() {
  const session = await api("GET", "/api/session");
  $("signout").hidden = !(session.token_required && session.signed_in);
}

/** Ends the session in this browser and starts the page afresh (it asks for the token again). */
export async function signOut() {
  await fetch("/api/session", { method: "DELETE" });
  location.reload();
}
