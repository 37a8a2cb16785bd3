public import CutlineCore
public import CutlineRPC
public import CutlineWire

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
        case jobID = "job_id", stopped
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
        case jobID = "job_id", sourceKey = "source_key"
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
        case frameRate = "frame_rate", hasAudio = "has_audio", videoCodec = "video_codec"
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

    public init(jobID: JobID, attempt: Int64, sourceKey: String, plan: SegmentPlan, texts: [String], style: OverlayStyle) {
        self.jobID = jobID
        self.attempt = attempt
        self.sourceKey = sourceKey
        self.plan = plan
        self.texts = texts
        self.style = style
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", attempt, sourceKey = "source_key", plan, texts, style
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
        case jobID = "job_id", accepted
    }
}

/// TextService: per-clip text variations; its methods arrive with the Product issue.
public enum TextContract {
    public static let serviceName = "text"
    public static let health = SystemContract.health
}

extension RPCError: JobFailureConvertible {
    public var jobFailure: JobFailure { JobFailure(code: "rpc_\(code.rawValue)", message: message) }
}
