// The plan view: how to cut, and the exact plan the API answers for it (with the texts and the look,
// so their warnings come with it), drawn as a timeline.

import { abort, api, latest } from "./api.js";
import { $, setText, showError } from "./dom.js";
import * as look from "./look.js";
import * as texts from "./texts.js";
import * as upload from "./upload.js";

/** `plan` is the last plan the API answered (the texts, the preview and the start go on using it);
 *  `failed` says the latest question got none, so no summary or timeline shows. */
export const state = { shown: false, plan: null, failed: false, error: null };

let drawn = null;  // the plan the timeline shows

function render() {
  $("plan-view").hidden = !state.shown;
  const random = document.querySelector('input[name="cut"]:checked').value === "random";
  $("random-fields").hidden = !random;
  $("fixed-fields").hidden = random;
  showError("cut-error", state.error);
  const plan = state.failed ? null : state.plan;
  setText($("plan-summary"), plan ? `${plan.count} clip${plan.count === 1 ? "" : "s"}` : "");
  if (drawn !== plan) {
    drawn = plan;
    $("timeline").replaceChildren(...(plan ? plan.segments.map((segment) => bar(segment, plan.duration)) : []));
  }
}

function bar(segment, duration) {
  const span = document.createElement("span");
  span.style.left = `${(100 * segment.start) / duration}%`;
  span.style.width = `${(100 * segment.duration) / duration}%`;
  span.title = `Clip ${segment.index + 1}: ${segment.start.toFixed(1)} s, ${segment.duration.toFixed(1)} s`;
  return span;
}

/** `aria-busy` on the plan while a question is scheduled or asked: the plan shown may still change
 *  (assistive technology waits for it, and so do the browser tests). */
function busy(on) {
  $("plan-view").setAttribute("aria-busy", on ? "true" : "false");
}

/** The job's view replaces this one: a question still waiting would only show it again. */
export function hide() {
  clearTimeout(timer);
  timer = null;
  abort("analyze");
  busy(false);
  state.shown = false;
  render();
}

/** The cut as the API takes it. */
export function cutting() {
  if (document.querySelector('input[name="cut"]:checked').value === "fixed") {
    return { mode: "fixed", seconds: Number($("seconds").value) };
  }
  const cut = { mode: "random", min: Number($("min").value), max: Number($("max").value) };
  if ($("seed").value !== "") cut.seed = Number($("seed").value);
  return cut;
}

let timer = null;

/** Asks again once the typing stops. */
export function scheduleAnalyze() {
  clearTimeout(timer);
  busy(true);
  timer = setTimeout(analyze, 250);
}

for (const element of document.querySelectorAll('input[name="cut"]')) {
  element.addEventListener("change", () => {
    render();
    scheduleAnalyze();
  });
}
for (const id of ["seconds", "min", "max", "seed"]) $(id).addEventListener("input", scheduleAnalyze);
$("reshuffle").addEventListener("click", () => {
  $("seed").value = Math.floor(Math.random() * 2 ** 31);
  scheduleAnalyze();
});

/** Asks for the exact plan; a newer question aborts an older one. */
export async function analyze() {
  clearTimeout(timer);
  timer = null;
  const jobId = upload.state.jobId;
  if (!jobId) {
    busy(false);
    return;
  }
  busy(true);
  const signal = latest("analyze");
  const body = { job_id: jobId, cutting: cutting(), ...look.chosen() };
  const text = texts.chosen();
  if (text) body.text = text;
  // The cut can be changed as soon as the file is up, even while a setting is still wrong.
  state.shown = true;
  render();
  try {
    const plan = await api("POST", "/api/video/analyze-duration", { body, signal });
    Object.assign(state, { plan, failed: false, error: null });
    if (plan.seed !== undefined && plan.seed !== null) $("seed").value = plan.seed;
    render();
    upload.describe(plan);
    texts.planned(plan);
    look.planned(plan);
  } catch (error) {
    if (error.name === "AbortError") return;
    state.failed = true;
    // The upload itself is unusable: say so where the upload is, not under the cutting.
    if (["not_a_video", "unsupported_format", "video_too_large"].includes(error.code)) {
      state.shown = false;
      upload.fail(error);
    } else {
      state.error = error;
    }
    render();
  } finally {
    // Still the latest question, and no newer one scheduled: the plan shown is the answer.
    if (!signal.aborted && timer === null) busy(false);
  }
}
