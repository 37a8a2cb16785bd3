// The texts view: one text for every clip, a base text varied per clip by the TextService, or the
// person's own text per clip; the plan's warnings beside the text they are about.

import { api } from "./api.js";
import { $, fromTemplate, setText, showError } from "./dom.js";

/** `texts` and `locked` (kept through a new generate) have one entry per clip of the plan (`count`)
 *  while a per-clip mode is chosen; `warnings` are the last plan's, split where they show. */
export const state = {
  shown: false,
  count: 0,
  texts: [],
  locked: [],
  /** Per clip, the words the engine replaced in the base text ("fire → flame"), while its text is the engine's. */
  replaced: [],
  engine: "",
  warnings: { general: [], beside: [] },
  generating: false,
  error: null,
};

let changed = () => {};
/** What happens when a text changes (the plan is asked for again, with its warnings). */
export function whenChanged(next) {
  changed = next;
}

const mode = () => document.querySelector('input[name="textmode"]:checked').value;

let built = "";  // the mode and count the per-clip fields were built for

function render() {
  $("text-view").hidden = !state.shown;
  $("single-fields").hidden = mode() !== "single";
  $("vary-fields").hidden = mode() !== "vary";
  setText($("engine"), state.engine);
  $("generate").disabled = state.generating;
  showError("text-error", state.error);
  renderClipTexts();
  for (const [index, element] of document.querySelectorAll(".clip-texts .warning").entries()) {
    setText(element, state.warnings.beside[index] || "");
  }
  for (const [index, element] of document.querySelectorAll(".clip-texts .replaced").entries()) {
    setText(element, state.replaced[index] ? `Replaced: ${state.replaced[index]}` : "");
  }
  const list = $("text-warnings");
  const general = state.warnings.general;
  if (list.children.length !== general.length || general.some((message, i) => list.children[i].textContent !== message)) {
    list.replaceChildren(...general.map((message) => Object.assign(document.createElement("li"), { textContent: message })));
  }
}

/** The per-clip fields (vary and unique), as many as the plan has clips. The fields are rebuilt only
 *  when the count or the mode changes; otherwise their values are updated in place, so a field being
 *  typed in keeps its focus while the plan is re-checked. */
function renderClipTexts() {
  const list = $("clip-texts");
  const perClip = mode() !== "single";
  list.hidden = !perClip;
  if (!perClip) return;
  if (built === `${mode()}:${state.count}`) {
    state.texts.forEach((text, index) => {
      const input = $(`clip-text-${index}`);
      if (input && input !== document.activeElement && input.value !== text) input.value = text;
    });
    return;
  }
  built = `${mode()}:${state.count}`;
  list.replaceChildren(...state.texts.map((text, index) => clipText(text, index, mode() === "vary")));
}

function clipText(text, index, vary) {
  const item = fromTemplate("clip-text-template").firstElementChild;
  item.dataset.index = index;
  const [label, input, warning, replaced] = item.children;
  label.textContent = `Clip ${index + 1}`;
  input.id = label.htmlFor = `clip-text-${index}`;
  input.value = text;
  warning.id = `clip-warning-${index}`;
  replaced.id = `clip-replaced-${index}`;
  if (vary) {
    const keep = fromTemplate("clip-keep-template");
    const [lock, lockLabel, again] = keep.children;
    lock.id = lockLabel.htmlFor = `clip-lock-${index}`;
    lock.checked = !!state.locked[index];
    again.setAttribute("aria-label", `New text for clip ${index + 1}`);
    item.insertBefore(keep, warning);
  }
  return item;
}

/** Texts and keeps for as many clips as the plan has, while a per-clip mode is chosen. */
function fit() {
  if (mode() === "single") return;
  while (state.texts.length < state.count) state.texts.push("");
  state.texts.length = state.count;
  state.locked.length = state.count;
  state.replaced.length = state.count;
}

/** A new plan: its clip count and its warnings. */
export function planned(plan) {
  state.shown = true;
  state.count = plan.count;
  fit();
  const general = [];
  const beside = [];
  const single = mode() === "single";
  for (const warning of plan.warnings || []) {
    const index = warning.index ?? null;
    if (single) {
      // One text on every clip: its warning once, under the text.
      if (index === null || index === 0) general.push(warning.message.replace(/ of clip 1\b/, ""));
    } else if (index !== null && index >= 0 && index < state.count) {
      beside[index] = warning.message;
    } else {
      general.push(warning.message);
    }
  }
  state.warnings = { general, beside };
  render();
}

export function hide() {
  state.shown = false;
  render();
}

/** The text choice as the API takes it, or null while it is incomplete. */
export function chosen() {
  switch (mode()) {
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

for (const element of document.querySelectorAll('input[name="textmode"]')) {
  element.addEventListener("change", () => {
    fit();
    render();
    changed();
  });
}
$("single-text").addEventListener("input", () => changed());
$("generate").addEventListener("click", () => generate(null));

// One listener for every clip's fields, however many the plan has.
const clipTexts = $("clip-texts");
const clipOf = (event) => Number(event.target.closest("li").dataset.index);
clipTexts.addEventListener("input", (event) => {
  if (!event.target.id.startsWith("clip-text-")) return;
  state.texts[clipOf(event)] = event.target.value;
  state.replaced[clipOf(event)] = "";
  changed();
});
clipTexts.addEventListener("change", (event) => {
  if (event.target.id.startsWith("clip-lock-")) state.locked[clipOf(event)] = event.target.checked;
});
clipTexts.addEventListener("click", (event) => {
  if (event.target.matches("button")) generate([clipOf(event)]);
});
// Several lines pasted into a clip's field fill it and the fields after it, one line each.
clipTexts.addEventListener("paste", (event) => {
  if (!event.target.id.startsWith("clip-text-")) return;
  const lines = event.clipboardData.getData("text").split(/\r?\n/).filter((line) => line.trim());
  if (lines.length < 2) return;
  event.preventDefault();
  const index = clipOf(event);
  lines.forEach((line, offset) => {
    if (index + offset < state.texts.length) state.texts[index + offset] = line;
  });
  built = "";  // rebuilt: the field pasted into has the focus and would otherwise keep its old value
  render();
  changed();
});

/** Variations for the clips not kept (or only `only`), from the TextService. */
async function generate(only) {
  const base = $("base-text").value.trim();
  if (!state.count || !base) {
    state.error = new Error("Write a base text first.");
    render();
    return;
  }
  state.error = null;
  state.generating = true;
  render();
  try {
    const answer = await api("POST", "/api/text/variations", {
      // Up to that many: an engine that makes fewer it is sure of answers those, and the page says so.
      body: { base_text: base, count: Math.min(500, state.count + 10), seed: Math.floor(Math.random() * 2 ** 31), allow_fewer: true },
    });
    const keep = (index) => state.locked[index] || (only && !only.includes(index));
    const used = new Set(state.texts.filter((text, index) => keep(index)));
    const fresh = answer.texts
      .map((text, index) => ({ text, replaced: (answer.replaced?.[index] || []).map((r) => `${r.from} → ${r.to}`).join(", ") }))
      .filter((made) => !used.has(made.text));
    let short = 0;
    state.texts = state.texts.map((text, index) => {
      if (keep(index)) return text;
      const made = fresh.shift();
      if (!made) short += 1;
      state.replaced[index] = made ? made.replaced : "";
      return made ? made.text : text;
    });
    state.engine = short
      ? `by ${answer.engine}: ${answer.texts.length} texts it is sure of, ${short} clip${short === 1 ? "" : "s"} short; write those yourself`
      : `by ${answer.engine}`;
    fit();
    changed();
  } catch (error) {
    state.error = error;
  } finally {
    state.generating = false;
    render();
  }
}
