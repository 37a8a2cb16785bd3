// Cutline's page: upload straight to storage, plan the cut, choose the texts, follow the job.
// Plain modules, no build step; every request is the documented HTTP API (/api/openapi.yaml).

const $ = (id) => document.getElementById(id);

/** An error the API answered, worded by the API. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** One API call; a lost connection is shown and retried, never a silent spinner. */
async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: body ? { "Content-Type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      showConnection(`The Gateway cannot be reached; trying again (${attempt + 1})…`);
      await sleep(Math.min(1000 * 2 ** attempt, 10000));
      continue;
    }
    showConnection(null);
    const text = await response.text();
    const json = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = json.error || { code: "http_" + response.status, message: text || response.statusText };
      throw new ApiError(response.status, error.code, error.message);
    }
    return json;
  }
}

/** The API's error for a response that is not OK (for calls that do not answer JSON, as the preview). */
async function apiError(response) {
  const text = await response.text();
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {}
  error = error || { code: "http_" + response.status, message: text || response.statusText };
  return new ApiError(response.status, error.code, error.message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function showConnection(message) {
  $("connection").hidden = !message;
  $("connection").textContent = message || "";
}

function showError(id, error) {
  const element = $(id);
  element.hidden = !error;
  element.textContent = error ? error.message || String(error) : "";
}

function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

function formatSeconds(seconds) {
  if (!isFinite(seconds)) return "–";
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m} min ${s} s` : `${s} s`;
}

// ---------------------------------------------------------------------------------------------
// Upload

const state = { jobId: null, file: null, plan: null, texts: [], locked: [], uploads: [] };

/** Where a file's job is remembered, so a reload resumes its upload. */
const fileKey = (file) => `cutline:upload:${file.name}:${file.size}:${file.lastModified}`;

$("file").addEventListener("change", () => {
  if ($("file").files[0]) chooseFile($("file").files[0]);
});
const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files[0]) chooseFile(event.dataTransfer.files[0]);
});

async function chooseFile(file) {
  showError("upload-error", null);
  state.file = file;
  $("file-info").hidden = false;
  $("file-info").textContent = `${file.name} — ${formatBytes(file.size)}`;
  try {
    const remembered = localStorage.getItem(fileKey(file));
    let parts = null;
    if (remembered) {
      try {
        parts = await api("GET", `/api/upload/${remembered}/parts`);
        state.jobId = remembered;
      } catch {
        localStorage.removeItem(fileKey(file));
      }
    }
    if (!state.jobId || !parts) {
      const started = await api("POST", "/api/upload/initiate", {
        filename: file.name,
        content_type: file.type || "video/mp4",
        size: file.size,
      });
      state.jobId = started.job_id;
      localStorage.setItem(fileKey(file), started.job_id);
      await uploadFile(file, started.upload);
    } else {
      await uploadParts(file, parts);
    }
    localStorage.removeItem(fileKey(file));
    $("upload-progress").hidden = true;
    await analyze();
  } catch (error) {
    if (error.name !== "AbortError") showError("upload-error", error);
  }
}

/** Upload progress: bytes, percent, speed and time left. */
function progressReporter(total, already = 0) {
  const started = performance.now();
  $("upload-progress").hidden = false;
  return (sent) => {
    const done = already + sent;
    const seconds = (performance.now() - started) / 1000;
    const speed = sent / Math.max(seconds, 0.001);
    $("upload-bar").value = done / total;
    $("upload-text").textContent =
      `${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((100 * done) / total)} %) · ` +
      `${formatBytes(speed)}/s · ${formatSeconds((total - done) / Math.max(speed, 1))} left`;
  };
}

/** One PUT with progress events; resolves with the response's ETag. */
function put(url, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    state.uploads.push(request);
    request.open("PUT", url);
    for (const [name, value] of Object.entries(headers || {})) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () =>
      request.status < 300
        ? resolve(request.getResponseHeader("ETag"))
        : reject(Object.assign(new Error(`the upload was refused (HTTP ${request.status}): ${request.responseText.slice(0, 300)}`), { status: request.status }));
    request.onerror = () => reject(new Error("the connection to storage was lost"));
    request.onabort = () => reject(Object.assign(new Error("cancelled"), { name: "AbortError" }));
    request.send(body);
  });
}

$("upload-cancel").addEventListener("click", () => {
  for (const request of state.uploads) request.abort();
  state.uploads = [];
  $("upload-progress").hidden = true;
});

async function uploadFile(file, upload) {
  const report = progressReporter(file.size);
  if (upload.kind === "single") {
    await put(upload.url, file, upload.headers, report);
    return;
  }
  await uploadParts(file, { part_size: upload.part_size, parts: upload.parts, done: [] }, upload.headers);
}

/** The parts not yet stored, a few at a time, each retried with backoff; expired URLs are refreshed. */
async function uploadParts(file, parts, headers = {}) {
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
          });
          break;
        } catch (error) {
          if (error.name === "AbortError" || attempt >= 4) throw error;
          if (error.status === 403) {
            const fresh = await api("GET", `/api/upload/${state.jobId}/parts`);
            urls = new Map(fresh.parts.map((p) => [p.number, p.url]));
          }
          await sleep([1000, 3000, 5000, 8000][attempt]);
        }
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

// ---------------------------------------------------------------------------------------------
// Plan

let analyzeTurn = 0;
let analyzeTimer = null;

function cutting() {
  if (document.querySelector('input[name="cut"]:checked').value === "fixed") {
    return { mode: "fixed", seconds: Number($("seconds").value) };
  }
  const cut = { mode: "random", min: Number($("min").value), max: Number($("max").value) };
  if ($("seed").value !== "") cut.seed = Number($("seed").value);
  return cut;
}

function scheduleAnalyze() {
  clearTimeout(analyzeTimer);
  analyzeTimer = setTimeout(analyze, 250);
}

for (const element of document.querySelectorAll('input[name="cut"]')) {
  element.addEventListener("change", () => {
    const random = element.value === "random" && element.checked;
    $("random-fields").hidden = !random;
    $("fixed-fields").hidden = random;
    scheduleAnalyze();
  });
}
for (const id of ["seconds", "min", "max", "seed"]) $(id).addEventListener("input", scheduleAnalyze);
$("reshuffle").addEventListener("click", () => {
  $("seed").value = Math.floor(Math.random() * 2 ** 31);
  scheduleAnalyze();
});

/** Asks for the exact plan; an answer to an older question is dropped. */
async function analyze() {
  if (!state.jobId) return;
  const turn = ++analyzeTurn;
  const body = { job_id: state.jobId, cutting: cutting(), ...look() };
  const texts = chosenTexts();
  if (texts) body.text = texts;
  // The cut can be changed as soon as the file is up, even while a setting is still wrong.
  $("plan-view").hidden = false;
  try {
    const plan = await api("POST", "/api/video/analyze-duration", body);
    if (turn !== analyzeTurn) return;
    showError("cut-error", null);
    state.plan = plan;
    if (plan.seed !== undefined && plan.seed !== null) $("seed").value = plan.seed;
    $("file-info").textContent = `${state.file ? state.file.name + " — " + formatBytes(state.file.size) + " — " : ""}` +
      `${plan.duration.toFixed(1)} s, ${plan.source.width}×${plan.source.height}`;
    $("plan-view").hidden = false;
    $("text-view").hidden = false;
    $("plan-summary").textContent = `${plan.count} clip${plan.count === 1 ? "" : "s"}`;
    drawTimeline(plan);
    syncClipTexts(plan.count);
    showWarnings(plan.warnings);
    syncPreviewClips(plan.count);
    schedulePreview();
  } catch (error) {
    if (turn !== analyzeTurn) return;
    $("plan-summary").textContent = "";
    $("timeline").replaceChildren();
    // The upload itself is unusable: say so where the upload is, not under the cutting.
    const unusable = ["not_a_video", "unsupported_format", "video_too_large"].includes(error.code);
    if (unusable) $("plan-view").hidden = true;
    showError(unusable ? "upload-error" : "cut-error", error);
  }
}

function drawTimeline(plan) {
  const timeline = $("timeline");
  timeline.replaceChildren(
    ...plan.segments.map((segment) => {
      const bar = document.createElement("span");
      bar.style.left = `${(100 * segment.start) / plan.duration}%`;
      bar.style.width = `${(100 * segment.duration) / plan.duration}%`;
      bar.title = `Clip ${segment.index + 1}: ${segment.start.toFixed(1)} s, ${segment.duration.toFixed(1)} s`;
      return bar;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Texts

const textMode = () => document.querySelector('input[name="textmode"]:checked').value;

for (const element of document.querySelectorAll('input[name="textmode"]')) {
  element.addEventListener("change", () => {
    $("single-fields").hidden = textMode() !== "single";
    $("vary-fields").hidden = textMode() !== "vary";
    syncClipTexts(state.plan ? state.plan.count : 0);
    scheduleAnalyze();
  });
}
$("single-text").addEventListener("input", scheduleAnalyze);

let renderedTexts = "";

/** The per-clip fields (vary and unique), as many as the plan has clips. The fields are rebuilt only
 *  when the count or the mode changes; otherwise their values are updated in place, so a field being
 *  typed in keeps its focus while the plan is re-checked. */
function syncClipTexts(count, force = false) {
  const list = $("clip-texts");
  const perClip = textMode() !== "single";
  list.hidden = !perClip;
  if (!perClip) return;
  while (state.texts.length < count) state.texts.push("");
  state.texts.length = count;
  state.locked.length = count;
  if (!force && renderedTexts === `${textMode()}:${count}`) {
    state.texts.forEach((text, index) => {
      const input = $(`clip-text-${index}`);
      if (input && input !== document.activeElement && input.value !== text) input.value = text;
    });
    return;
  }
  renderedTexts = `${textMode()}:${count}`;
  list.replaceChildren(
    ...state.texts.map((text, index) => {
      const item = document.createElement("li");
      const label = document.createElement("label");
      label.textContent = `Clip ${index + 1}`;
      const input = document.createElement("input");
      input.type = "text";
      input.value = text;
      input.maxLength = 1000;
      input.id = `clip-text-${index}`;
      label.htmlFor = input.id;
      input.addEventListener("input", () => {
        state.texts[index] = input.value;
        scheduleAnalyze();
      });
      input.addEventListener("paste", (event) => {
        const lines = event.clipboardData.getData("text").split(/\r?\n/).filter((line) => line.trim());
        if (lines.length < 2) return;
        event.preventDefault();
        lines.forEach((line, offset) => {
          if (index + offset < state.texts.length) state.texts[index + offset] = line;
        });
        syncClipTexts(state.texts.length, true);
        scheduleAnalyze();
      });
      item.append(label, input);
      if (textMode() === "vary") {
        const lock = document.createElement("input");
        lock.type = "checkbox";
        lock.checked = !!state.locked[index];
        lock.id = `clip-lock-${index}`;
        lock.addEventListener("change", () => (state.locked[index] = lock.checked));
        const lockLabel = document.createElement("label");
        lockLabel.htmlFor = lock.id;
        lockLabel.textContent = "Keep";
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "New text";
        again.setAttribute("aria-label", `New text for clip ${index + 1}`);
        again.addEventListener("click", () => generate([index]));
        item.append(lock, lockLabel, again);
      }
      const warning = document.createElement("span");
      warning.className = "warning";
      warning.id = `clip-warning-${index}`;
      warning.setAttribute("aria-live", "polite");
      item.append(warning);
      return item;
    }),
  );
}

/** Variations for the clips not kept (or only `only`), from the TextService. */
async function generate(only) {
  const count = state.plan ? state.plan.count : 0;
  const base = $("base-text").value.trim();
  if (!count || !base) {
    showError("text-error", new Error("Write a base text first."));
    return;
  }
  showError("text-error", null);
  $("generate").disabled = true;
  try {
    const answer = await api("POST", "/api/text/variations", {
      base_text: base,
      count: Math.min(500, count + 10),
      seed: Math.floor(Math.random() * 2 ** 31),
    });
    $("engine").textContent = `by ${answer.engine}`;
    const used = new Set(state.texts.filter((text, index) => state.locked[index] || (only && !only.includes(index))));
    const fresh = answer.texts.filter((text) => !used.has(text));
    state.texts = state.texts.map((text, index) =>
      state.locked[index] || (only && !only.includes(index)) ? text : fresh.shift() ?? text,
    );
    syncClipTexts(count);
    scheduleAnalyze();
  } catch (error) {
    showError("text-error", error);
  } finally {
    $("generate").disabled = false;
  }
}
$("generate").addEventListener("click", () => generate(null));

/** The text choice as the API takes it, or null while it is incomplete. */
function chosenTexts() {
  switch (textMode()) {
    case "single":
      return $("single-text").value ? { mode: "single", text: $("single-text").value } : null;
    case "vary":
      return state.texts.length && state.texts.every((text) => text.trim())
        ? { mode: "vary", base_text: $("base-text").value, texts: state.texts }
        : null;
    default:
      return state.texts.length ? { mode: "unique", texts: state.texts } : null;
  }
}

function showWarnings(warnings) {
  for (const element of document.querySelectorAll(".clip-texts .warning")) element.textContent = "";
  const general = [];
  const single = textMode() === "single";
  for (const warning of warnings || []) {
    const index = warning.index ?? null;
    if (single) {
      // One text on every clip: its warning once, under the text.
      if (index === null || index === 0) general.push(warning.message.replace(/ of clip 1\b/, ""));
      continue;
    }
    const beside = index !== null ? $(`clip-warning-${index}`) : null;
    if (beside) beside.textContent = warning.message;
    else general.push(warning.message);
  }
  $("text-warnings").replaceChildren(
    ...general.map((message) => Object.assign(document.createElement("li"), { textContent: message })),
  );
}

function style() {
  return {
    position: $("position").value,
    font_size: Number($("font-size").value) / 100,
    text_color: $("text-color").value.toUpperCase(),
    box_color: $("box").checked ? "#00000099" : "none",
    shadow: $("shadow").checked ? 3 : 0,
  };
}

/** The clips' frame and platform, as the API takes them. */
function look() {
  const platform = $("platform").value;
  const body = { style: style(), output: { aspect: $("aspect").value, fit: $("fit").value } };
  if (platform) body.platform = platform;
  return body;
}

// A platform makes vertical clips; choosing one sets the shape to match.
$("platform").addEventListener("change", () => {
  if ($("platform").value) $("aspect").value = "9:16";
});
for (const id of ["platform", "aspect", "fit", "position", "font-size", "text-color", "box", "shadow"]) {
  $(id).addEventListener("change", () => {
    scheduleAnalyze();
    schedulePreview();
  });
}

// ---------------------------------------------------------------------------------------------
// Preview: the MediaProcessor renders the selected clip's first frame with its text and look (the
// same pipeline as the clips); the platform's safe area is drawn over it as a guide.

let previewTimer = null;
let previewTurn = 0;
let previewURL = null;

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 350);
}
$("preview-clip").addEventListener("change", preview);

async function preview() {
  const plan = state.plan;
  if (!state.jobId || !plan) return;
  const index = Math.min(Number($("preview-clip").value || 0), plan.count - 1);
  const texts = chosenTexts();
  const text = !texts ? "" : texts.mode === "single" ? texts.text : texts.texts[index] || "";
  const turn = ++previewTurn;
  $("preview-note").textContent = "Rendering the preview…";
  try {
    const response = await fetch(`/api/jobs/${state.jobId}/preview`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, at: plan.segments[index].start, width: 540, ...look() }),
    });
    if (!response.ok) throw await apiError(response);
    const blob = await response.blob();
    if (turn !== previewTurn) return;
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = URL.createObjectURL(blob);
    const image = $("preview-image");
    image.src = previewURL;
    image.alt = `Clip ${index + 1} as it will render${text ? `, with the text “${text}”` : ""}`;
    $("preview").hidden = false;
    $("preview-note").textContent = plan.output.safe_area ? "Dashed: where the platform's buttons leave the frame clear." : "";
    drawSafeArea(plan.output.safe_area);
  } catch (error) {
    if (turn !== previewTurn) return;
    $("preview-note").textContent = `No preview: ${error.message}`;
  }
}

function drawSafeArea(area) {
  const guide = $("safe-area");
  guide.hidden = !area;
  if (!area) return;
  Object.assign(guide.style, {
    top: `${area.top * 100}%`, bottom: `${area.bottom * 100}%`, left: `${area.left * 100}%`, right: `${area.right * 100}%`,
  });
}

function syncPreviewClips(count) {
  const select = $("preview-clip");
  if (select.options.length === count) return;
  const chosen = Math.min(Number(select.value || 0), count - 1);
  select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i + 1), String(i))));
  select.value = String(chosen);
}

$("start").addEventListener("click", async () => {
  showError("start-error", null);
  const text = chosenTexts();
  if (!text) {
    showError("start-error", new Error("Give every clip its text first."));
    return;
  }
  $("start").disabled = true;
  try {
    const cut = cutting();
    if (cut.mode === "random" && state.plan && state.plan.seed !== undefined) cut.seed = state.plan.seed;
    await api("POST", "/api/upload/complete", { job_id: state.jobId, cutting: cut, text, ...look() });
    history.pushState({}, "", `/jobs/${state.jobId}`);
    showJob(state.jobId, state.plan ? state.plan.count : 0);
  } catch (error) {
    showError("start-error", error);
  } finally {
    $("start").disabled = false;
  }
});

// ---------------------------------------------------------------------------------------------
// The job

let following = null;

/** The job's view; `clips` (when the page planned the job) lays out every clip's place at once. */
function showJob(jobId, clips = 0) {
  for (const id of ["upload-view", "plan-view", "text-view"]) $(id).hidden = true;
  $("job-view").hidden = false;
  $("clips").replaceChildren();
  if (clips) renderJob({ state: "QUEUED", progress: { clips_total: clips, clips_done: 0 }, clips: [], error: null });
  following = jobId;
  follow(jobId);
}

/** Polls the status until the job ends: every second, every 5 s while the tab is hidden. */
async function follow(jobId) {
  let etag = null;
  let status = null;
  let moved = Date.now();
  let asked = 0;
  $("job-notice").hidden = true;
  while (following === jobId) {
    try {
      const response = await fetch(`/api/jobs/${jobId}/status`, { headers: etag ? { "If-None-Match": etag } : {} });
      showConnection(null);
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        status = await response.json();
        moved = Date.now();
        $("job-notice").hidden = true;
        renderJob(status);
      } else if (response.status === 304) {
        // A running job that has not moved for a while: say why if the MediaProcessor is down.
        if (status && ["QUEUED", "PROCESSING"].includes(status.state) && Date.now() - moved > 4000 && Date.now() - asked > 3000) {
          asked = Date.now();
          explainStall();
        }
      } else {
        const body = await response.json().catch(() => ({}));
        showError("job-error", new Error(body.error ? body.error.message : `HTTP ${response.status}`));
      }
    } catch {
      showConnection("The Gateway cannot be reached; trying again…");
    }
    if (status && ["COMPLETED", "FAILED", "CANCELLED"].includes(status.state)) break;
    await sleep(document.hidden ? 5000 : 1000);
  }
}

async function explainStall() {
  try {
    const health = await api("GET", "/api/health");
    const notice = $("job-notice");
    notice.hidden = health.media.reachable;
    notice.textContent = health.media.reachable
      ? ""
      : "The MediaProcessor is not answering, so nothing is being cut right now. Your job is kept: it goes on when the processor is back, and this page updates by itself.";
  } catch {
    // The connection banner already says the Gateway cannot be reached.
  }
}

function renderJob(status) {
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
  $("job-state").textContent = words[status.state] || status.state;
  showError("job-error", status.error ? new Error(`${status.error.message} (${status.error.code})`) : null);
  $("cancel-job").hidden = ["COMPLETED", "FAILED", "CANCELLED"].includes(status.state);
  $("download-all").hidden = !status.clips.length;
  const list = $("clips");
  // A place for every clip of the plan, saying its state, so the page does not move as clips arrive.
  const total = Math.max(progress.clips_total || 0, status.clips.length);
  const ready = new Set(status.clips.map((clip) => clip.index));
  const running = status.state === "PROCESSING" || status.state === "QUEUED";
  for (let index = 0; index < total; index++) {
    if ($(`clip-${index}`)) continue;
    const item = document.createElement("li");
    item.id = `clip-${index}`;
    item.className = "pending";
    const box = document.createElement("div");
    box.className = "waiting";
    const caption = document.createElement("p");
    caption.textContent = `Clip ${index + 1}`;
    const room = document.createElement("span");  // where the download link will be
    room.className = "link-room";
    item.append(box, caption, room);
    list.append(item);
  }
  for (const item of list.querySelectorAll("li.pending")) {
    const index = Number(item.id.slice(5));
    const next = index === (progress.clips_done ?? 0);
    item.firstChild.textContent = running ? (next && status.state === "PROCESSING" ? "Cutting…" : "Waiting") : "Not made";
  }
  for (const clip of status.clips) {
    const placed = $(`clip-${clip.index}`);
    if (placed && !placed.classList.contains("pending")) continue;
    const item = placed || document.createElement("li");
    item.className = "";
    item.id = `clip-${clip.index}`;
    const video = document.createElement("video");
    video.controls = true;
    video.preload = "metadata";
    if (clip.thumbnail_url) video.poster = clip.thumbnail_url;
    video.src = clip.url;
    video.setAttribute("aria-label", `Clip ${clip.index + 1}`);
    const link = document.createElement("a");
    link.href = clip.url;
    link.textContent = `Download clip ${clip.index + 1}`;
    const caption = document.createElement("p");
    caption.textContent = `${clip.text} · ${clip.duration.toFixed(1)} s · ${formatBytes(clip.size)}`;
    item.replaceChildren(video, caption, link);
    if (!placed) {
      // In clip order, whatever order they arrive in.
      const next = [...list.children].find((child) => Number(child.id.slice(5)) > clip.index);
      list.insertBefore(item, next || null);
    }
  }
}

$("cancel-job").addEventListener("click", async () => {
  try {
    await api("DELETE", `/api/jobs/${following}`);
  } catch (error) {
    showError("job-error", error);
  }
});

$("download-all").addEventListener("click", async () => {
  for (const link of $("clips").querySelectorAll("a")) {
    link.click();
    await sleep(300);
  }
});

// ---------------------------------------------------------------------------------------------
// Recent jobs and routing

async function showRecent() {
  try {
    const answer = await api("GET", "/api/jobs?limit=10");
    $("recent").replaceChildren(
      ...answer.jobs.map((job) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `/jobs/${job.job_id}`;
        link.textContent = `${job.filename} — ${job.state}`;
        item.append(link);
        return item;
      }),
    );
  } catch {
    // The list is a convenience: the rest of the page works without it.
  }
}

function route() {
  const match = location.pathname.match(/^\/jobs\/([0-9a-f-]{36})$/);
  if (match) {
    showJob(match[1]);
  } else {
    following = null;
    $("job-view").hidden = true;
    $("upload-view").hidden = false;
  }
}

window.addEventListener("popstate", route);
route();
showRecent();
