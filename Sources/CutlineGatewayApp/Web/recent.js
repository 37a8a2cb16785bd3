// Recent jobs: a convenience list; the rest of the page works without it.

import { api } from "./api.js";
import { $, fromTemplate } from "./dom.js";

/** The jobs the Gateway listed, newest first. */
export const state = { jobs: [] };

function render() {
  $("recent").replaceChildren(
    ...state.jobs.map((job) => {
      const item = fromTemplate("recent-template").firstElementChild;
      const link = item.querySelector("a");
      link.href = `/jobs/${job.job_id}`;
      link.textContent = `${job.filename} — ${job.state}`;
      return item;
    }),
  );
}

export async function load() {
  try {
    state.jobs = (await api("GET", "/api/jobs?limit=10")).jobs;
    render();
  } catch {
    // Without the list the page still does everything else.
  }
}
