public import CutlineCore

/// Where the relay delivers status writes: DynamoDB, or the embedded SQLite status table. Both apply a
/// write only if its version is greater than the stored one.
public protocol StatusSink: Sendable {
    /// `.applied` if the write changed the record, `.stale` if the record already had this version or a
    /// later one (a duplicate or late write: not an error). Throws when the sink cannot be reached.
    func apply(_ write: StatusWrite) async throws -> SinkOutcome
}

public enum SinkOutcome: Sendable, Hashable {
    case applied
    case stale
}

/// A sink that can also answer what it holds for a job (the Gateway's status endpoint reads it).
public protocol StatusStore: StatusSink {
    func status(of jobID: JobID) async throws -> JobStatusRecord?
    /// Only the stored version (nil for an unknown job): what a poll needs to know whether anything
    /// changed. Stores that can read one attribute cheaply override it.
    func version(of jobID: JobID) async throws -> Int64?
}

extension StatusStore {
    public func version(of jobID: JobID) async throws -> Int64? {
        try await status(of: jobID)?.version
    }
}

/// A stored status record that cannot be read as one: never shown as some default (a missing state is
/// not CREATED, a missing version is not 0), since that would move the job backwards for its readers.
public struct StatusRecordError: Error, Sendable, CustomStringConvertible {
    public let jobID: JobID
    /// The attribute (or column) at fault, e.g. `state`, `progress.clips_done`, `clips[2].key`.
    public let attribute: String
    public let problem: String
    /// Where the record lives: the table's name or file.
    public let store: String

    public init(jobID: JobID, attribute: String, problem: String, store: String) {
        self.jobID = jobID
        self.attribute = attribute
        self.problem = problem
        self.store = store
    }

    public var description: String {
        "job \(jobID): the status record in \(store) is corrupt: \(attribute) \(problem)"
    }
}
