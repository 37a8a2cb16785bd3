/// Where a job's objects live in the object store: the one place their keys are spelled.
public enum ObjectKeys {
    /// The uploaded video, written by the browser through a signed URL.
    public static func source(_ jobID: JobID) -> String { "uploads/\(jobID)/source" }

    /// Clip `index` (from 0, as in the plan).
    public static func clip(_ jobID: JobID, index: Int) -> String { "clips/\(jobID)/\(index).mp4" }

    /// Everything a job's render stores (clips and thumbnails) is under this prefix.
    public static func clipsPrefix(_ jobID: JobID) -> String { "clips/\(jobID)/" }

    /// The JPEG thumbnail of clip `index`.
    public static func thumbnail(_ jobID: JobID, index: Int) -> String { "clips/\(jobID)/\(index).jpg" }
}

extension ObjectKeys {
    /// What one attempt of a job renders (plan, texts, look), for the processors that take it from the
    /// shared queue; named by its digest, so a request with other settings can never replace it. Kept
    /// beside the clips so whatever removes a job's clips (purge, retention, the bucket's rule) removes it.
    public static func renderRequest(_ jobID: JobID, attempt: Int64, digest: String) -> String {
        "clips/\(jobID)/render-\(attempt)-\(digest).json"
    }
}

extension ObjectKeys {
    /// A submitted job too large for its DynamoDB record, kept for as long as the record (outside
    /// `clips/`, so purging the job's files leaves the texts its status answer shows); `name` is unique
    /// per write, so a Gateway that loses the race to submit never replaces the winner's.
    public static func submitted(_ jobID: JobID, name: String) -> String { "records/\(jobID)/submitted-\(name).json" }
}
