public import CutlineCore
public import Foundation

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
    /// Writes the record's state, version, attempt, progress, clips, error, tasks and update time, only if
    /// the stored version is still `expected` (nil: only if there is no record); false if it is not.
    /// For merged writes (`merge`), which read the record first.
    func replace(_ record: JobStatusRecord, expecting expected: Int64?) async throws -> Bool
    /// Claims task `firstClip` of the job as `claim` says (processor, message, until when), unless a claim
    /// of another message on it is still valid at `now`: nil when it is this message's now (or the job
    /// has no record yet, so there is nothing to claim against), else the claim that holds it. A claim
    /// whose `until` is `now` or earlier gives the task up.
    func claim(_ jobID: JobID, task firstClip: Int, _ claim: TaskClaim, now: Date) async throws -> TaskClaim?
}

extension StatusStore {
    public func version(of jobID: JobID) async throws -> Int64? {
        try await status(of: jobID)?.version
    }

    /// Applies a task's write (`StatusWrite.task`) by merging it into the job's record
    /// (`JobStatusRecord.merge`): read, merge, and write back only if no other write came between; read
    /// again when one did. Every processor of a split job writes the same record this way.
    public func merge(_ write: StatusWrite) async throws -> SinkOutcome {
        for attempt in 0..<Self.mergeAttempts {
            let current = try await status(of: write.jobID)
            guard let merged = JobStatusRecord.merge(write, into: current) else { return .stale }
            if try await replace(merged, expecting: current?.version) { return .applied }
            // Others are writing the same record: a random pause, growing, so they do not collide again.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...(5 << min(attempt, 6)))))
        }
        throw StatusMergeContention(jobID: write.jobID, attempts: Self.mergeAttempts)
    }

    static var mergeAttempts: Int { 32 }
}

/// A task's write that found the record changed under it every time it tried; the relay tries it again
/// later (nothing is lost: the write stays in the outbox).
public struct StatusMergeContention: Error, Sendable, CustomStringConvertible {
    public let jobID: JobID
    public let attempts: Int
    public var description: String {
        "job \(jobID): the status record changed between read and write \(attempts) times in a row; the task's write is tried again later"
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
