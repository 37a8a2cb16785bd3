// Cutline's page: upload straight to storage, plan the cut, choose the texts, follow the job.
// Plain modules, no build step; this one only connects the views and routes between them.

import { showSession, signOut } from "./api.js";
import { $ } from "./dom.js";
import * as job from "./job.js";
import * as look from "./look.js";
import * as plan from "./plan.js";
import * as recent from "./recent.js";
import * as texts from "./texts.js";
import * as upload from "./upload.js";

// The plan is asked for once the file is stored, and again whenever what it depends on changes.
upload.whenUploaded(plan.analyze);
texts.whenChanged(plan.scheduleAnalyze);
look.whenChanged(plan.scheduleAnalyze);
job.whenStarted((jobId, clips) => {
  history.pushState({}, "", `/jobs/${jobId}`);
  showJob(jobId, clips);
});

function showJob(jobId, clips = 0) {
  upload.hide();
  plan.hide();
  texts.hide();
  job.show(jobId, clips);
}

/** `/jobs/{job_id}` is that job's view; anything else starts a new job. */
function route() {
  const match = location.pathname.match(/^\/jobs\/([0-9a-f-]{36})$/);
  if (match) {
    showJob(match[1]);
  } else {
    job.hide();
    upload.show();
  }
}

$("signout").addEventListener("click", signOut);
window.addEventListener("popstate", route);
route();
recent.load();
showSession();
