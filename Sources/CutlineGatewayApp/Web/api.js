// The one way the page talks to the Gateway: every request is the documented HTTP API
// (/api/openapi.yaml), sent by `api`, with a lost connection shown in one banner.

import { $, setText } from "./dom.js";

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
    if (!response.ok && response.status !== 304) throw await errorOf(response);
    if (as === "response") return response;
    if (as === "blob") return response.blob();
    const text = await response.text();
    return text ? JSON.parse(text) : {};
  }
}
