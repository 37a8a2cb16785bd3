public import CutlineCore
public import CutlineRPC
public import CutlineWire
public import Foundation

/// The Gateway's methods (it also serves HTTP to browsers; these are for other services and operators).
public enum GatewayContract {
    public static let serviceName = "gateway"
    public static let health = SystemContract.health
}

/// MediaProcessor: probing uploads and rendering jobs (PROTOCOL.md §7).
public enum MediaContract {
    public static let serviceName = "media"
    public static let health = SystemContract.health
    /// Probes an object in storage (read through a presigned URL, never downloaded first).
    public static let probe = RPCMethod<ProbeRequest, ProbeSummary>("media.probe")
    /// Accepts a job: acknowledged once it is stored; the same job_id again changes nothing.
    public static let submit = RPCMethod<SubmitRequest, SubmitResponse>("media.submit")
    /// Stops a job: a waiting one never starts, a running one stops within a second (finished clips stay).
    public static let cancel = RPCMethod<CancelRequest, CancelResponse>("media.cancel")
    /// Measures overlay texts as the renderer will draw them on a frame of the given size: how each wraps,
    /// whether it fits, which characters no installed font can draw.
    public static let preflight = RPCMethod<PreflightRequest, PreflightResponse>("media.preflight")
    /// The frame a clip will show at a moment of the source, text and shape included, as JPEG.
    public static let preview = RPCMethod<MediaPreviewRequest, MediaPreviewResponse>("media.preview")
}

public struct MediaPreviewRequest: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var sourceKey: String
    /// Seconds from the start of the source.
    public var seconds: Double
    public var text: String
    public var style: OverlayStyle
    public var shape: OutputShape?
    public var platform: Platform?
    /// Scale the JPEG down to at most this width; nil for the clip's size.
    public var maxWidth: Int?

    public init(
        jobID: JobID, sourceKey: String, seconds: Double, text: String, style: OverlayStyle, shape: OutputShape? = nil, platform: Platform? = nil,
        maxWidth: Int? = nil
    ) {
        self.jobID = jobID
        self.sourceKey = sourceKey
        self.seconds = seconds
        self.text = text
        self.style = style
        self.shape = shape
        self.platform = platform
        self.maxWidth = maxWidth
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case sourceKey = "source_key"
        case seconds, text, style, shape, platform
        case maxWidth = "max_width"
    }
}

public struct MediaPreviewResponse: Codable, Sendable, Hashable {
    public var jpeg: Data

    public init(jpeg: Data) {
        self.jpeg = jpeg
    }
}

public struct PreflightRequest: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var texts: [String]
    public var style: OverlayStyle
    /// The frame as displayed (after rotation), in pixels.
    public var width: Int
    public var height: Int
    /// The clips' shape (the source's when nil) and platform (its frame and safe area).
    public var shape: OutputShape?
    public var platform: Platform?

    public init(jobID: JobID, texts: [String], style: OverlayStyle, width: Int, height: Int, shape: OutputShape? = nil, platform: Platform? = nil) {
        self.jobID = jobID
        self.texts = texts
        self.style = style
        self.width = width
        self.height = height
        self.shape = shape
        self.platform = platform
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case texts, style, width, height, shape, platform
    }
}

public struct PreflightResponse: Codable, Sendable, Hashable {
    public struct Text: Codable, Sendable, Hashable {
        /// The lines the overlay will show.
        public var lines: [String]
        /// Whether those lines fit inside the frame's margins.
        public var fits: Bool
        /// Characters no installed font can draw, as strings of one scalar, in order of first appearance.
        public var missing: [String]

        public init(lines: [String], fits: Bool, missing: [String]) {
            self.lines = lines
            self.fits = fits
            self.missing = missing
        }
    }

    /// One per text, in the request's order.
    public var texts: [Text]
    /// Whether the style's font family is installed on the processor (nil from a processor that does not
    /// say); when not, fontconfig's default family draws the texts.
    public var fontInstalled: Bool?

    public init(texts: [Text], fontInstalled: Bool? = nil) {
        self.texts = texts
        self.fontInstalled = fontInstalled
    }

    enum CodingKeys: String, CodingKey {
        case texts
        case fontInstalled = "font_installed"
    }
}

public struct CancelRequest: Codable, Sendable, Hashable {
    public var jobID: JobID

    public init(jobID: JobID) {
        self.jobID = jobID
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
    }
}

public struct CancelResponse: Codable, Sendable, Hashable {
    public var jobID: JobID
    /// Whether this processor had the job (and it was not finished yet).
    public var stopped: Bool

    public init(jobID: JobID, stopped: Bool) {
        self.jobID = jobID
        self.stopped = stopped
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case stopped
    }
}

public struct ProbeRequest: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var sourceKey: String

    public init(jobID: JobID, sourceKey: String) {
        self.jobID = jobID
        self.sourceKey = sourceKey
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case sourceKey = "source_key"
    }
}

/// What the planner and the page need to know about a source.
public struct ProbeSummary: Codable, Sendable, Hashable {
    public var duration: Double
    public var frameRate: FrameRate
    public var width: Int
    public var height: Int
    public var hasAudio: Bool
    public var videoCodec: String
    /// Clockwise degrees the picture is turned for display.
    public var rotation: Int

    public init(duration: Double, frameRate: FrameRate, width: Int, height: Int, hasAudio: Bool, videoCodec: String, rotation: Int) {
        self.duration = duration
        self.frameRate = frameRate
        self.width = width
        self.height = height
        self.hasAudio = hasAudio
        self.videoCodec = videoCodec
        self.rotation = rotation
    }

    enum CodingKeys: String, CodingKey {
        case duration, width, height, rotation
        case frameRate = "frame_rate"
        case hasAudio = "has_audio"
        case videoCodec = "video_codec"
    }
}

public struct SubmitRequest: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var attempt: Int64
    public var sourceKey: String
    public var plan: SegmentPlan
    /// One per segment; "" for no overlay.
    public var texts: [String]
    public var style: OverlayStyle
    /// The clips' shape (the source's when nil); a platform sets the frame, safe area and encoding.
    public var shape: OutputShape?
    public var platform: Platform?

    public init(
        jobID: JobID, attempt: Int64, sourceKey: String, plan: SegmentPlan, texts: [String], style: OverlayStyle, shape: OutputShape? = nil,
        platform: Platform? = nil
    ) {
        self.jobID = jobID
        self.attempt = attempt
        self.sourceKey = sourceKey
        self.plan = plan
        self.texts = texts
        self.style = style
        self.shape = shape
        self.platform = platform
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case attempt
        case sourceKey = "source_key"
        case plan, texts, style, shape, platform
    }
}

public struct SubmitResponse: Codable, Sendable, Hashable {
    public var jobID: JobID
    /// false: the processor already had this job (a repeat changes nothing).
    public var accepted: Bool

    public init(jobID: JobID, accepted: Bool) {
        self.jobID = jobID
        self.accepted = accepted
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case accepted
    }
}

/// TextService: per-clip text variations.
public enum TextContract {
    public static let serviceName = "text"
    public static let health = SystemContract.health
    /// `count` distinct texts derived from a base text, from the engine the service is configured with.
    public static let vary = RPCMethod<VaryRequest, VaryResponse>("text.vary")
}

public struct VaryRequest: Codable, Sendable, Hashable {
    public var baseText: String
    public var count: Int
    public var seed: UInt64?
    public var language: String?
    public var maxLength: Int?
    /// Up to `count` texts rather than exactly `count`: an engine that makes fewer answers those (at
    /// least one) instead of `too_few`. For a preview that fills what it can.
    public var allowFewer: Bool?

    public init(
        baseText: String, count: Int, seed: UInt64? = nil, language: String? = nil, maxLength: Int? = nil, allowFewer: Bool? = nil
    ) {
        self.baseText = baseText
        self.count = count
        self.seed = seed
        self.language = language
        self.maxLength = maxLength
        self.allowFewer = allowFewer
    }

    enum CodingKeys: String, CodingKey {
        case baseText = "base_text"
        case count, seed, language
        case maxLength = "max_length"
        case allowFewer = "allow_fewer"
    }
}

public struct VaryResponse: Codable, Sendable, Hashable {
    /// Exactly the count asked for (with `allow_fewer`, up to it), pairwise distinct, none empty or over
    /// the length limit.
    public var texts: [String]
    /// What produced them: `offline:lexicon`, `gemini:MODEL`, `openai:MODEL@HOST`.
    public var engine: String
    /// Per text, the words the engine replaced in the base text; nil from an engine that rewrites rather
    /// than replaces (a model).
    public var replaced: [[TextReplacement]]?

    public init(texts: [String], engine: String, replaced: [[TextReplacement]]? = nil) {
        self.texts = texts
        self.engine = engine
        self.replaced = replaced
    }
}

/// One word of a base text replaced in a variation.
public struct TextReplacement: Codable, Sendable, Hashable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

extension RPCError: JobFailureConvertible {
    public var jobFailure: JobFailure { JobFailure(code: "rpc_\(code.rawValue)", message: message) }
}

/// One message on the shared job queue (SQS): render clips `firstClip ..< firstClip + clipCount` of one
/// attempt of a job, as the request object at `requestKey` says. It names the job by its job_id and
/// never stands for it by a queue's message id or receipt. Delivered at least once: a processor that
/// gets it again for a clip already stored does not store that clip again.
public struct RenderTask: Codable, Sendable, Hashable {
    /// Raised when the message's meaning changes; a processor refuses a version it does not know.
    /// Format 2 added `task_count` (a job split into tasks); a format 1 task is a whole job.
    public static let currentFormat = 2
    public static let knownFormats = 1...2
    public var format: Int
    public var jobID: JobID
    public var attempt: Int64
    /// The `SubmitRequest` in the object store (`ObjectKeys.renderRequest`).
    public var requestKey: String
    public var firstClip: Int
    public var clipCount: Int
    /// How many tasks the job was split into (1: this task is the whole job).
    public var taskCount: Int
    /// The W3C `traceparent` of the request that queued it: the render joins that trace. Optional in
    /// every format (a processor ignores one it cannot read).
    public var traceparent: String?

    public init(
        jobID: JobID, attempt: Int64, requestKey: String, firstClip: Int, clipCount: Int, taskCount: Int = 1, traceparent: String? = nil
    ) {
        format = Self.currentFormat
        self.jobID = jobID
        self.attempt = attempt
        self.requestKey = requestKey
        self.firstClip = firstClip
        self.clipCount = clipCount
        self.taskCount = taskCount
        self.traceparent = traceparent
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        jobID = try container.decode(JobID.self, forKey: .jobID)
        attempt = try container.decode(Int64.self, forKey: .attempt)
        requestKey = try container.decode(String.self, forKey: .requestKey)
        firstClip = try container.decode(Int.self, forKey: .firstClip)
        clipCount = try container.decode(Int.self, forKey: .clipCount)
        taskCount = try container.decodeIfPresent(Int.self, forKey: .taskCount) ?? 1
        traceparent = try? container.decodeIfPresent(String.self, forKey: .traceparent)
    }

    enum CodingKeys: String, CodingKey {
        case format
        case jobID = "job_id"
        case attempt
        case requestKey = "request_key"
        case firstClip = "first_clip"
        case clipCount = "clip_count"
        case taskCount = "task_count"
        case traceparent
    }

    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads a message body; a body that is not a render task of a known format, or whose clips are not
    /// a range of at least one clip in one of at least one task, is an error that says so.
    public static func decode(_ body: String) throws -> RenderTask {
        let task = try JSONDecoder().decode(RenderTask.self, from: Data(body.utf8))
        guard knownFormats.contains(task.format) else {
            throw RenderTaskFormatError(format: task.format)
        }
        guard task.firstClip >= 0, task.clipCount >= 1, task.taskCount >= 1, task.firstClip <= Int(StatusVersion.maximumClips) - task.clipCount
        else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: [],
                    debugDescription:
                        "first_clip \(task.firstClip), clip_count \(task.clipCount) and task_count \(task.taskCount) are not a task (first_clip ≥ 0, clip_count ≥ 1, task_count ≥ 1)"
                ))
        }
        return task
    }
}

public struct RenderTaskFormatError: Error, CustomStringConvertible {
    public let format: Int
    public var description: String {
        "a render task of format \(format), which this MediaProcessor does not know (it reads formats \(RenderTask.knownFormats.lowerBound) to \(RenderTask.knownFormats.upperBound)); update the processors before the Gateways"
    }
}
