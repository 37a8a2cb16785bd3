/// A job's lifecycle (docs/contracts.md, "Job states"). The rank orders states for the status version.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case created = "CREATED"
    case uploaded = "UPLOADED"
    case queued = "QUEUED"
    case processing = "PROCESSING"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"

    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled: true
        default: false
        }
    }

    public var rank: Int64 {
        switch self {
        case .created: 1
        case .uploaded: 2
        case .queued: 3
        case .processing: 4
        case .completed, .failed, .cancelled: 9
        }
    }
}

/// Orders every status write of a job without coordination between the services that write it:
/// `attempt · 10⁹ + rank(state) · 10⁶ + clips done · 10³ + per mille of the next clip rendered`; a
/// terminal state takes the largest version of its attempt, so the first terminal write wins and nothing
/// later in that attempt can overwrite it. The per mille lets frame progress within a clip outrank the
/// write before it, and a finished clip outranks any progress on it.
public struct StatusVersion: Sendable, Hashable, Comparable, Codable {
    public let value: Int64
    /// A plan has at most this many clips (the planner's limit is lower), so clip counts fit the formula.
    public static let maximumClips: Int64 = 999

    public init(attempt: Int64, state: JobState, clipsDone: Int64 = 0, nextClipPermille: Int64 = 0) {
        precondition(attempt >= 0 && (0...Self.maximumClips).contains(clipsDone) && (0...999).contains(nextClipPermille))
        if state.isTerminal {
            value = attempt * 1_000_000_000 + 999_999_999
        } else {
            value = attempt * 1_000_000_000 + state.rank * 1_000_000 + clipsDone * 1000 + nextClipPermille
        }
    }

    public static func < (lhs: StatusVersion, rhs: StatusVersion) -> Bool { lhs.value < rhs.value }
}
