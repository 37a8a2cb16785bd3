/// The job a piece of work is about, for every library on the way: set once with
/// `JobContext.$jobID.withValue(id) { … }` where a job's work starts, read by the logging metadata
/// provider so every line carries `job_id` without each call passing it.
public enum JobContext {
    @TaskLocal public static var jobID: JobID?
}
