// The look: platform, shape, fill and text style; and its preview, the selected clip's first frame as
// the MediaProcessor renders it (the same pipeline as the clips), with the platform's safe area drawn
// over it as a guide.

import { api, latest } from "./api.js";
import { $, setText } from "./dom.js";
import * as texts from "./texts.js";
import * as upload from "./upload.js";

/** `plan` is the plan the preview shows a clip of; `image` the last rendered frame (an object URL),
 *  with what it shows (`alt`) and the safe area of the plan it was rendered for. */
export const state = { plan: null, image: null, alt: "", safeArea: null, note: "" };

let changed = () => {};
/** What happens when the look changes, besides a new preview (the plan is asked for again). */
export function whenChanged(next) {
  changed = next;
}

function render() {
  const select = $("preview-clip");
  const count = state.plan ? state.plan.count : 0;
  if (select.options.length !== count) {
    const chosen = Math.min(Number(select.value || 0), count - 1);
    select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i + 1), String(i))));
    select.value = String(chosen);
  }
  setText($("preview-note"), state.note);
  $("preview").hidden = !state.image;
  const image = $("preview-image");
  if (state.image && image.getAttribute("src") !== state.image) image.src = state.image;
  image.alt = state.alt;
  const area = state.safeArea;
  const guide = $("safe-area");
  guide.hidden = !area;
  if (area) {
    Object.assign(guide.style, {
      top: `${area.top * 100}%`, bottom: `${area.bottom * 100}%`, left: `${area.left * 100}%`, right: `${area.right * 100}%`,
    });
  }
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
export function chosen() {
  const platform = $("platform").value;
  const body = { style: style(), output: { aspect: $("aspect").value, fit: $("fit").value } };
  if (platform) body.platform = platform;
  return body;
}

/** A new plan: its clips to choose from, and a preview of the chosen one. */
export function planned(plan) {
  state.plan = plan;
  render();
  schedulePreview();
}

// A platform makes vertical clips; choosing one sets the shape to match.
$("platform").addEventListener("change", () => {
  if ($("platform").value) $("aspect").value = "9:16";
});
for (const id of ["platform", "aspect", "fit", "position", "font-size", "text-color", "box", "shadow"]) {
  $(id).addEventListener("change", () => {
    changed();
    schedulePreview();
  });
}
$("preview-clip").addEventListener("change", preview);

let timer = null;

function schedulePreview() {
  clearTimeout(timer);
  timer = setTimeout(preview, 350);
}

/** Renders the chosen clip's first frame; a newer preview aborts an older one. */
async function preview() {
  const plan = state.plan;
  const jobId = upload.state.jobId;
  if (!jobId || !plan) return;
  const index = Math.min(Number($("preview-clip").value || 0), plan.count - 1);
  const chosenTexts = texts.chosen();
  const text = !chosenTexts ? "" : chosenTexts.mode === "single" ? chosenTexts.text : chosenTexts.texts[index] || "";
  const signal = latest("preview");
  state.note = "Rendering the preview…";
  render();
  try {
    const blob = await api("POST", `/api/jobs/${jobId}/preview`, {
      body: { text, at: plan.segments[index].start, width: 540, ...chosen() },
      signal,
      as: "blob",
    });
    if (state.image) URL.revokeObjectURL(state.image);
    Object.assign(state, {
      image: URL.createObjectURL(blob),
      alt: `Clip ${index + 1} as it will render${text ? `, with the text “${text}”` : ""}`,
      note: plan.output.safe_area ? "Dashed: where the platform's buttons leave the frame clear." : "",
      safeArea: plan.output.safe_area,
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    state.note = `No preview: ${error.message}`;
  }
  render();
}
