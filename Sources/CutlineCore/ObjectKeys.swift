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
