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
}
