public import CutlineCore
import Metrics

/// `cutline_jobs_total{state}`: jobs that entered each state here, counted when the change is recorded
/// (PROCESSING once per render start, not per progress write). Summed over the services, the counts
/// say how many jobs were created, queued, rendered, completed, failed and cancelled. The tasks of a job
/// split over processors are counted apart, in `cutline_tasks_total{state}`: a job's end is its record's.
public enum JobMetrics {
    public static func entered(_ state: JobState, task: Bool = false) {
        Counter(label: task ? "cutline_tasks_total" : "cutline_jobs_total", dimensions: [("state", state.rawValue)]).increment()
    }
}
