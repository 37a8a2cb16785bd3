// The upload view: the file goes straight to storage (in parts, three at a time, resumed after a
// reload); the Gateway only hands out the URLs.

import { abort, api, latest, sleep } from "./api.js";
import { $, setText, showError } from "./dom.js";
import { formatBytes, formatSeconds } from "./format.js";

/** `jobId` is the job the file goes to (the other views ask for it); `video` is what the plan found in
 *  the file; `progress` is null when no upload is under way, and has `done` once bytes have moved. */
export const state = { shown: true, over: false, file: null, jobId: null, video: null, progress: null, error: null };

let uploaded = async () => {};
/** What happens once the file is stored (the plan is asked for). */
export function whenUploaded(next) {
  uploaded = next;
}

function render() {
  $("upload-view").hidden = !state.shown;
  $("drop").classList.toggle("over", state.over);
  const { file, video, progress } = state;
  $("file-info").hidden = !file;
  if (file) {
    setText(
      $("file-info"),
      `${file.name} — ${formatBytes(file.size)}` +
        (video ? ` — ${video.duration.toFixed(1)} s, ${video.width}×${video.height}` : ""),
    );
  }
  $("upload-progress").hidden = !progress;
  if (progress && progress.done !== undefined) {
    const { done, total, speed } = progress;
    $("upload-bar").value = done / total;
    setText(
      $("upload-text"),
      `${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((100 * done) / total)} %) · ` +
        `${formatBytes(speed)}/s · ${formatSeconds((total - done) / Math.max(speed, 1))} left`,
    );
  }
  showError("upload-error", state.error);
}

export function show() {
  state.shown = true;
  render();
}

export function hide() {
  state.shown = false;
  render();
}

/** The plan's findings on the file's line: its length and picture size. */
export function describe(plan) {
  state.video = { duration: plan.duration, width: plan.source.width, height: plan.source.height };
  render();
}

/** The file is unusable (not a video, too large): said where the file was chosen. */
export function fail(error) {
  state.error = error;
  render();
}

/** Where a file's job is remembered, so a reload resumes its upload. */
const fileKey = (file) => `cutline:upload:${file.name}:${file.size}:${file.lastModified}`;

$("file").addEventListener("change", () => {
  if ($("file").files[0]) choose($("file").files[0]);
});
const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  state.over = true;
  render();
});
drop.addEventListener("dragleave", () => {
  state.over = false;
  render();
});
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  state.over = false;
  render();
  if (event.dataTransfer.files[0]) choose(event.dataTransfer.files[0]);
});
$("upload-cancel").addEventListener("click", () => {
  abort("upload");
  state.progress = null;
  render();
});

/** Uploads `file` (or the parts of it a reload left unsent), then hands over to the plan. A file chosen
 *  meanwhile supersedes it: its requests are aborted. */
async function choose(file) {
  const signal = latest("upload");
  Object.assign(state, { file, video: null, error: null });
  render();
  try {
    const remembered = localStorage.getItem(fileKey(file));
    let parts = null;
    if (remembered) {
      try {
        parts = await api("GET", `/api/upload/${remembered}/parts`, { signal });
        state.jobId = remembered;
      } catch (error) {
        if (error.name === "AbortError") throw error;
        localStorage.removeItem(fileKey(file));
      }
    }
    if (!state.jobId || !parts) {
      const started = await api("POST", "/api/upload/initiate", {
        body: { filename: file.name, content_type: file.type || "video/mp4", size: file.size },
        signal,
      });
      state.jobId = started.job_id;
      localStorage.setItem(fileKey(file), started.job_id);
      await sendFile(file, started.upload, signal);
    } else {
      await sendParts(file, parts, {}, signal);
    }
    signal.throwIfAborted();  // a last PUT may have finished as the next file was chosen
    localStorage.removeItem(fileKey(file));
    state.progress = null;
    render();
    await uploaded();
  } catch (error) {
    if (error.name !== "AbortError") fail(error);
  }
}

/** Upload progress: bytes, percent, speed and time left. */
function progressReporter(total, already = 0) {
  const started = performance.now();
  state.progress = { total };
  render();
  return (sent) => {
    const seconds = (performance.now() - started) / 1000;
    state.progress = { total, done: already + sent, speed: sent / Math.max(seconds, 0.001) };
    render();
  };
}

/** One PUT to storage with progress events; resolves with the response's ETag. Storage is not the API
 *  (in S3 mode the URL is the bucket's), and only XMLHttpRequest reports upload progress; `signal`
 *  aborts it like any request. */
function put(url, body, headers, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const aborted = () => reject(Object.assign(new Error("cancelled"), { name: "AbortError" }));
    if (signal.aborted) return aborted();
    const request = new XMLHttpRequest();
    const stop = () => request.abort();
    signal.addEventListener("abort", stop);
    request.onloadend = () => signal.removeEventListener("abort", stop);
    request.open("PUT", url);
    for (const [name, value] of Object.entries(headers || {})) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () =>
      request.status < 300
        ? resolve(request.getResponseHeader("ETag"))
        : reject(Object.assign(new Error(`the upload was refused (HTTP ${request.status}): ${request.responseText.slice(0, 300)}`), { status: request.status }));
    request.onerror = () => reject(new Error("the connection to storage was lost"));
    request.onabort = aborted;
    request.send(body);
  });
}

async function sendFile(file, upload, signal) {
  if (upload.kind === "single") {
    await put(upload.url, file, upload.headers, progressReporter(file.size), signal);
    return;
  }
  await sendParts(file, { part_size: upload.part_size, parts: upload.parts, done: [] }, upload.headers, signal);
}

/** The parts not yet stored, a few at a time, each retried with backoff; expired URLs are refreshed. */
async function sendParts(file, parts, headers, signal) {
  const jobId = state.jobId;
  const size = parts.part_size;
  const done = new Set((parts.done || parts.finished || []).map((part) => part.number ?? part));
  const already = [...done].reduce((sum, number) => sum + Math.min(size, file.size - (number - 1) * size), 0);
  const report = progressReporter(file.size, already);
  const sent = new Map();
  const queue = parts.parts.filter((part) => !done.has(part.number));
  let urls = new Map(queue.map((part) => [part.number, part.url]));
  const worker = async () => {
    while (queue.length) {
      const part = queue.shift();
      const blob = file.slice((part.number - 1) * size, Math.min(file.size, part.number * size));
      for (let attempt = 0; ; attempt++) {
        try {
          await put(urls.get(part.number), blob, headers, (loaded) => {
            sent.set(part.number, loaded);
            report([...sent.values()].reduce((a, b) => a + b, 0));
          }, signal);
          break;
        } catch (error) {
          if (error.name === "AbortError" || attempt >= 4) throw error;
          if (error.status === 403) {
            const fresh = await api("GET", `/api/upload/${jobId}/parts`, { signal });
            urls = new Map(fresh.parts.map((p) => [p.number, p.url]));
          }
          await sleep([1000, 3000, 5000, 8000][attempt], signal);  // aborted: the next put throws
        }
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}
