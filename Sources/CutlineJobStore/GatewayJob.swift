public import CutlineContracts
public import CutlineCore
public import Foundation

/// A job as the Gateway records it: the upload, the probe, what was submitted, and its own state
/// (CREATED, UPLOADED, QUEUED, CANCELLED, or FAILED for an upload that never finished).
public struct GatewayJob: Sendable, Hashable {
    public var jobID: JobID
    public var state: JobState
    public var filename: String
    public var contentType: String
    public var size: Int64
    public var sourceKey: String
    /// Set for a multipart upload.
    public var uploadID: String?
    public var partSize: Int64?
    public var createdAt: Date
    /// The source's probe, once analysed.
    public var probe: ProbeSummary? = nil
    /// The job as handed to the processor, once started: what is rendered, fixed.
    public var submitted: SubmitRequest? = nil
    public var attempt: Int64 = 1
    /// The seed of the random plan analyze-duration last returned.
    public var seed: UInt64? = nil
    /// When its source, clips and thumbnails were deleted (purged, or past retention).
    public var filesDeletedAt: Date? = nil

    public init(
        jobID: JobID, state: JobState, filename: String, contentType: String, size: Int64, sourceKey: String,
        uploadID: String? = nil, partSize: Int64? = nil, createdAt: Date
    ) {
        self.jobID = jobID
        self.state = state
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.sourceKey = sourceKey
        self.uploadID = uploadID
        self.partSize = partSize
        self.createdAt = createdAt
    }

    /// How many parts a multipart upload has.
    public var partCount: Int? { partSize.map { Int((size + $0 - 1) / $0) } }
}
