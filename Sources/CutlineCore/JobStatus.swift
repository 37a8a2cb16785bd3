public import Foundation

/// One status write about a job (docs/contracts.md, "The status record"): a whole snapshot of the
/// fields its writer owns, ordered by `version`. A sink applies it only if `version` is greater than the
/// stored one, so a duplicate or a late write is a no-op and a job never moves backwards.
public struct StatusWrite: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var version: Int64
    public var state: JobState
    public var attempt: Int64
    /// Fields left nil are not owned by this write and stay as they are.
    public var progress: JobProgress?
    public var clips: [ClipRecord]?
    public var error: JobFailure?
    /// The job's parameters as JSON text (cutting, text strategy, style, source key, probe summary).
    public var params: String?
    public var createdAt: Date?
    public var updatedAt: Date
    /// Set on a task's write (a job split over processors): its `version`, `state`, `clips` and
    /// `progress` are the task's, and a sink merges them into the job's record (`JobStatusRecord.merge`).
    public var task: TaskPart?

    public init(
        jobID: JobID, state: JobState, attempt: Int64 = 1, clipsDone: Int64 = 0, nextClipPermille: Int64 = 0, progress: JobProgress? = nil,
        clips: [ClipRecord]? = nil, error: JobFailure? = nil, params: String? = nil, createdAt: Date? = nil,
        updatedAt: Date = Date(), task: TaskPart? = nil
    ) {
        self.task = task
        self.jobID = jobID
        self.version = StatusVersion(attempt: attempt, state: state, clipsDone: clipsDone, nextClipPermille: nextClipPermille).value
        self.state = state
        self.attempt = attempt
        self.progress = progress
        self.clips = clips
        self.error = error
        self.params = params
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case version, state, attempt, progress, clips, error, params
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case task
    }
}

public struct JobProgress: Codable, Sendable, Hashable {
    public var clipsDone: Int64
    public var clipsTotal: Int64
    public var framesDone: Int64
    public var framesTotal: Int64

    public init(clipsDone: Int64, clipsTotal: Int64, framesDone: Int64 = 0, framesTotal: Int64 = 0) {
        self.clipsDone = clipsDone
        self.clipsTotal = clipsTotal
        self.framesDone = framesDone
        self.framesTotal = framesTotal
    }

    enum CodingKeys: String, CodingKey {
        case clipsDone = "clips_done"
        case clipsTotal = "clips_total"
        case framesDone = "frames_done"
        case framesTotal = "frames_total"
    }
}

public struct ClipRecord: Codable, Sendable, Hashable {
    public var index: Int
    public var start: Double
    public var duration: Double
    /// The clip's text as rendered. Not kept in the status record (read back, it is empty): 500 clips of
    /// long texts would not fit a DynamoDB item, and the texts are the job's, fixed when it was queued.
    public var text: String
    public var key: String
    public var size: Int64
    /// The clip's JPEG thumbnail, beside it (`clips/{job}/{index}.jpg`); nil for clips made without one.
    public var thumbnailKey: String?

    public init(index: Int, start: Double, duration: Double, text: String, key: String, size: Int64, thumbnailKey: String? = nil) {
        self.index = index
        self.start = start
        self.duration = duration
        self.text = text
        self.key = key
        self.size = size
        self.thumbnailKey = thumbnailKey
    }

    /// What the status record keeps of the clip: everything but its text.
    public var stored: ClipRecord {
        var clip = self
        clip.text = ""
        return clip
    }
}

public struct JobFailure: Codable, Sendable, Hashable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// A job's status as stored (the same fields in DynamoDB and the embedded table).
public struct JobStatusRecord: Sendable, Hashable, Codable {
    public var jobID: JobID
    public var version: Int64
    public var state: JobState
    public var attempt: Int64
    public var progress: JobProgress?
    public var clips: [ClipRecord]
    public var error: JobFailure?
    public var params: String?
    public var createdAt: Date?
    public var updatedAt: Date
    /// The tasks of a job split over processors, as their writes were merged; empty for a job rendered
    /// whole.
    public var tasks: [TaskStatus]

    public init(
        jobID: JobID, version: Int64, state: JobState, attempt: Int64, progress: JobProgress?, clips: [ClipRecord],
        error: JobFailure?, params: String?, createdAt: Date?, updatedAt: Date, tasks: [TaskStatus] = []
    ) {
        self.tasks = tasks
        self.jobID = jobID
        self.version = version
        self.state = state
        self.attempt = attempt
        self.progress = progress
        self.clips = clips
        self.error = error
        self.params = params
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
