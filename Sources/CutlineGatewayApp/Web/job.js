// The job: started from the plan, the texts and the look; then followed until it ends, every clip in
// its place from the start, playable and downloadable as it arrives.

import { ApiError, abort, api, latest, sleep } from "./api.js";
import { $, fromTemplate, setText, showError } from "./dom.js";
import { formatBytes } from "./format.js";
import * as look from "./look.js";
import * as plan from "./plan.js";
import { RUNNING, TERMINAL } from "./states.js";
import * as texts from "./texts.js";
import * as upload from "./upload.js";

/** `status` is the job's last status (or the plan's clips laid out before the first one); `notice` why
 *  it does not move; `starting` and `startError` belong to the start button, which sits under the texts
 *  but begins the job. */
export const state = { shown: false, jobId: null, status: null, notice: "", error: null, starting: false, startError: null };

let started = () => {};
/** What happens once the job is started (its own URL, and this view). */
export function whenStarted(next) {
  started = next;
}

let listed = null;  // the job whose clips the list holds

function render() {
  $("start").disabled = state.starting;
  showError("start-error", state.startError);
  $("job-view").hidden = !state.shown;
  const notice = $("job-notice");
  notice.hidden = !state.notice;
  setText(notice, state.notice);
  showError("job-error", state.error);
  const list = $("clips");
  if (listed !== state.jobId) {
    listed = state.jobId;
    list.replaceChildren();
  }
  const status = state.status;
  // A started job's plan is fixed: its cut list can go to an editor (the links carry the session cookie).
  const started = !!status && !["CREATED", "UPLOADED"].includes(status.state);
  $("cut-lists").hidden = !started;
  if (started) {
    for (const format of ["otio", "edl"]) {
      $(`export-${format}`).href = `/api/jobs/${encodeURIComponent(state.jobId)}/export?format=${format}`;
    }
  }
  if (!status) {
    $("job-bar").value = 0;
    setText($("job-state"), "");
    $("cancel-job").hidden = $("download-all").hidden = true;
    return;
  }
  const progress = status.progress || {};
  const fraction = progress.frames_total ? progress.frames_done / progress.frames_total : progress.clips_total ? progress.clips_done / progress.clips_total : 0;
  $("job-bar").value = status.state === "COMPLETED" ? 1 : fraction;
  const words = {
    CREATED: "Waiting for the upload",
    UPLOADED: "Uploaded",
    QUEUED: "Waiting for its turn",
    PROCESSING: `Cutting: ${progress.clips_done ?? 0} of ${progress.clips_total ?? "?"} clips done`,
    COMPLETED: `Done: ${status.clips.length} clips`,
    FAILED: "Failed",
    CANCELLED: "Cancelled",
  };
  $("delete-files").hidden = !!status.files_deleted_at || !TERMINAL.has(status.state);
  if (status.files_deleted_at) {
    // Purged, or past the Gateway's retention: nothing left to play or download.
    list.replaceChildren();
    const ended = status.state === "COMPLETED" ? "Done" : words[status.state] || status.state;
    setText($("job-state"), `${ended}. Its video and clips were deleted on ${new Date(status.files_deleted_at).toLocaleString()}.`);
    $("cancel-job").hidden = $("download-all").hidden = true;
    return;
  }
  setText($("job-state"), words[status.state] || status.state);
  $("cancel-job").hidden = TERMINAL.has(status.state);
  $("download-all").hidden = !status.clips.length;
  // A place for every clip of the plan, saying its state, so the page does not move as clips arrive.
  const total = Math.max(progress.clips_total || 0, status.clips.length);
  for (let index = 0; index < total; index++) {
    if ($(`clip-${index}`)) continue;
    const item = fromTemplate("clip-waiting-template").firstElementChild;
    item.id = `clip-${index}`;
    item.querySelector("p").textContent = `Clip ${index + 1}`;
    list.append(item);
  }
  const running = RUNNING.has(status.state);
  for (const item of list.querySelectorAll("li.pending")) {
    const next = Number(item.id.slice(5)) === (progress.clips_done ?? 0);
    setText(item.querySelector(".waiting"), running ? (next && status.state === "PROCESSING" ? "Cutting…" : "Waiting") : "Not made");
  }
  // A clip placed once is left alone: replacing its video would stop it playing.
  for (const clip of status.clips) {
    const placed = $(`clip-${clip.index}`);
    if (placed && !placed.classList.contains("pending")) continue;
    const item = placed || document.createElement("li");
    item.className = "";
    item.id = `clip-${clip.index}`;
    const ready = fromTemplate("clip-ready-template");
    const [video, caption, link] = ready.children;
    if (clip.thumbnail_url) video.poster = clip.thumbnail_url;
    video.src = clip.url;
    video.setAttribute("aria-label", `Clip ${clip.index + 1}`);
    caption.textContent = `${clip.text} · ${clip.duration.toFixed(1)} s · ${formatBytes(clip.size)}`;
    link.href = clip.url;
    link.textContent = `Download clip ${clip.index + 1}`;
    item.replaceChildren(ready);
    if (!placed) {
      // In clip order, whatever order they arrive in.
      const next = [...list.children].find((child) => Number(child.id.slice(5)) > clip.index);
      list.insertBefore(item, next || null);
    }
  }
}

/** The job's view; `clips` (when the page planned the job) lays out every clip's place at once. */
export function show(jobId, clips = 0) {
  const signal = latest("status");  // the job shown before is no longer followed
  Object.assign(state, {
    shown: true,
    jobId,
    status: clips ? { state: "QUEUED", progress: { clips_total: clips, clips_done: 0 }, clips: [], error: null } : null,
    notice: "",
    error: null,
  });
  render();
  follow(jobId, signal);
}

export function hide() {
  abort("status");
  Object.assign(state, { shown: false, jobId: null, status: null, notice: "", error: null });
  render();
}

/** Polls the status until the job ends: every second, every 5 s while the tab is hidden. */
async function follow(jobId, signal) {
  let etag = null;
  let status = null;
  let moved = Date.now();
  let asked = 0;
  while (!signal.aborted) {
    try {
      const response = await api("GET", `/api/jobs/${jobId}/status`, {
        headers: etag ? { "If-None-Match": etag } : {},
        signal,
        as: "response",
        retry: false,  // this loop asks again anyway
      });
      if (response.status === 304) {
        // A running job that has not moved for a while: say why if the MediaProcessor is down.
        if (status && RUNNING.has(status.state) && Date.now() - moved > 4000 && Date.now() - asked > 3000) {
          asked = Date.now();
          explainStall(signal);
        }
      } else {
        etag = response.headers.get("ETag");
        status = await response.json();
        moved = Date.now();
        Object.assign(state, { status, notice: "", error: status.error ? new Error(`${status.error.message} (${status.error.code})`) : null });
        render();
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      // An answer that is not the status is shown; a lost connection is already (api's banner).
      if (error instanceof ApiError) {
        state.error = error;
        render();
      }
    }
    if (status && TERMINAL.has(status.state)) break;
    await sleep(document.hidden ? 5000 : 1000, signal);
  }
}

async function explainStall(signal) {
  try {
    const health = await api("GET", "/api/health", { signal });
    state.notice = health.media.reachable
      ? ""
      : "The MediaProcessor is not answering, so nothing is being cut right now. Your job is kept: it goes on when the processor is back, and this page updates by itself.";
    render();
  } catch {
    // Aborted with the job's view, or the connection banner already says the Gateway cannot be reached.
  }
}

$("cancel-job").addEventListener("click", async () => {
  try {
    await api("DELETE", `/api/jobs/${state.jobId}`);
  } catch (error) {
    state.error = error;
    render();
  }
});

$("delete-files").addEventListener("click", async () => {
  try {
    await api("DELETE", `/api/jobs/${state.jobId}?purge=true`);
    show(state.jobId);  // its status, now without files
  } catch (error) {
    state.error = error;
    render();
  }
});

$("download-all").addEventListener("click", async () => {
  for (const link of $("clips").querySelectorAll("a")) {
    link.click();
    await sleep(300);
  }
});

$("start").addEventListener("click", async () => {
  state.startError = null;
  const text = texts.chosen();
  if (!text) {
    state.startError = new Error("Give every clip its text first.");
    render();
    return;
  }
  state.starting = true;
  render();
  try {
    const cut = plan.cutting();
    const planned = plan.state.plan;
    if (cut.mode === "random" && planned && planned.seed !== undefined) cut.seed = planned.seed;
    const jobId = upload.state.jobId;
    await api("POST", "/api/upload/complete", { body: { job_id: jobId, cutting: cut, text, ...look.chosen() } });
    started(jobId, planned ? planned.count : 0);
  } catch (error) {
    state.startError = error;
  } finally {
    state.starting = false;
    render();
  }
});
