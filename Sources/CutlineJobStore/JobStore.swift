public import CutlineContracts
public import CutlineCore
public import CutlineOutbox
public import Foundation

/// Where the Gateway keeps the jobs it created (chosen once, from configuration): its own SQLite file
/// on one machine, or DynamoDB when any Gateway must answer for any job. Every change that moves a job
/// (CREATED, UPLOADED, QUEUED, CANCELLED, an upload expired) hands its status write, and a queued job
/// its messages, to this Gateway's outbox; a store that cannot do both in one transaction keeps what
/// it handed over until the status store shows it, so `resendUndelivered` can hand it over again.
public protocol JobStore: Sendable {
    /// Records a new job (CREATED) and its first status write.
    func create(_ job: GatewayJob) async throws
    /// The job, or nil when no Gateway made it; a record that cannot be read is a `StoredJobError`.
    func job(_ jobID: JobID) async throws -> GatewayJob?
    /// The most recent jobs, newest first.
    func recent(limit: Int) async throws -> [GatewayJob]
    /// Records the probe and, the first time, UPLOADED with its status write.
    func uploaded(_ jobID: JobID, probe: ProbeSummary) async throws
    /// Remembers the seed of the random plan just previewed (until the job is submitted).
    func previewed(_ jobID: JobID, seed: UInt64) async throws
    /// Fixes what is rendered and records QUEUED with its status write, once: false when the job was
    /// already submitted (then `submitted` must be compared by the caller). `params` (JSON) is what the
    /// person asked for, kept in the status record. `messages` (the job's tasks for the shared queue)
    /// go out with the QUEUED write: no job is queued without its messages.
    func queue(_ submit: SubmitRequest, params: String, messages: [QueuedMessage]) async throws -> Bool
    /// Records CANCELLED with its status write.
    func cancel(_ jobID: JobID, attempt: Int64) async throws

    /// Jobs still CREATED (their upload never finished) that were created before `date`, oldest first.
    func unfinishedUploads(createdBefore date: Date, limit: Int) async throws -> [GatewayJob]
    /// Jobs created before `date` whose files are still there, oldest first.
    func withFiles(createdBefore date: Date, limit: Int) async throws -> [GatewayJob]
    /// Jobs whose files were deleted after `date`: looked at again, for a clip a render stored late.
    func filesDeleted(after date: Date, limit: Int) async throws -> [GatewayJob]
    /// Records that the job's files are gone (the first time only: later passes keep the first date).
    func filesDeleted(_ jobID: JobID, at date: Date) async throws
    /// Records FAILED with `failure` for a job whose upload never finished, with its status write; a job
    /// that left CREATED meanwhile is left alone (false).
    func uploadExpired(_ jobID: JobID, failure: JobFailure) async throws -> Bool

    /// Hands again to this Gateway's outbox each status write (with its messages) that was handed over
    /// before `date` and that `status` does not show yet: the outbox that had it may be gone with its
    /// machine. The writes are the same, so a copy that arrives twice changes nothing.
    func resendUndelivered(handedOverBefore date: Date, status: any StatusStore) async throws -> ResentWrites
}

/// What a pass of `resendUndelivered` did: the jobs whose writes were handed over again, and the
/// records it could not read (each named; the others were still looked at).
public struct ResentWrites: Sendable, Hashable {
    public var jobs: [JobID] = []
    public var problems: [String] = []

    public init() {}
}

extension JobStore {
    public func queue(_ submit: SubmitRequest, params: String) async throws -> Bool {
        try await queue(submit, params: params, messages: [])
    }

    public func unfinishedUploads(createdBefore date: Date) async throws -> [GatewayJob] {
        try await unfinishedUploads(createdBefore: date, limit: 100)
    }

    public func withFiles(createdBefore date: Date) async throws -> [GatewayJob] {
        try await withFiles(createdBefore: date, limit: 100)
    }

    public func filesDeleted(after date: Date) async throws -> [GatewayJob] {
        try await filesDeleted(after: date, limit: 100)
    }

    public func filesDeleted(_ jobID: JobID) async throws {
        try await filesDeleted(jobID, at: Date())
    }
}
