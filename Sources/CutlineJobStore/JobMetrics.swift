import CutlineCore
import Metrics

/// `cutline_jobs_total{state}`: jobs that entered each state here, counted when the change is recorded
/// (PROCESSING once per render start, not per progress write). Summed over the services, the counts
/// say how many jobs were created, queued, rendered, completed, failed and cancelled.
enum JobMetrics {
    static func entered(_ state: JobState) {
        Counter(label: "cutline_jobs_total", dimensions: [("state", state.rawValue)]).increment()
    }
}
