// A job's states, as the status answers them (openapi.yaml; JobState in CutlineCore).

/** After these nothing changes: the page stops polling and offers no cancel. */
export const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** Waiting for its turn or being cut: the MediaProcessor has work to do. */
export const RUNNING = new Set(["QUEUED", "PROCESSING"]);
