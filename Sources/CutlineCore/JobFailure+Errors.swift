/// An error that knows what it means for a job: a stable code and a message a person can act on.
/// Each error type owns its mapping; `JobFailure(error:)` is the one place any error becomes a
/// job's failure, for the Gateway and the MediaProcessor alike.
public protocol JobFailureConvertible: Error {
    var jobFailure: JobFailure { get }
}

extension JobFailure {
    /// What `error` means for the job; an error that does not know is `internal`, with its text.
    public init(error: any Error) {
        if let known = error as? any JobFailureConvertible {
            self = known.jobFailure
        } else if error is CancellationError {
            self = JobFailure(code: "cancelled", message: "the job was cancelled")
        } else {
            self = JobFailure(code: "internal", message: "Cutline failed unexpectedly: \(error)")
        }
    }
}

extension SegmentPlanError: JobFailureConvertible {
    public var jobFailure: JobFailure { JobFailure(code: "bad_cutting", message: description) }
}
