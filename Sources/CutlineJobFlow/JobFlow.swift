import CutlineContracts
public import CutlineCore
public import CutlineJobStore
public import CutlineOutbox
public import CutlineRPC
public import CutlineStorage
import CutlineWire
public import Foundation
import Logging

/// A job's steps from upload to queue, with no HTTP in them: the Gateway's controllers call these and
/// turn what they return into answers. Each state the Gateway owns (CREATED, UPLOADED, QUEUED,
/// CANCELLED) is written here and only here, through the `JobStore` (which hands each change's status
/// write to the outbox with it).
public struct JobFlow: Sendable {
    public let jobs: any JobStore
    public let objects: any ObjectStore
    public let status: any StatusStore
    /// The MediaProcessors (one, or a pool): probes, pre-flights, previews, jobs.
    public let media: RPCClientPool
    /// The TextService: variations of a base text.
    public let text: RPCClient
    public let limits: UploadLimits
    /// How a queued job reaches a MediaProcessor.
    public let dispatch: Dispatch
    /// Called after a step changed a job, so anything kept about it (the status answers) is dropped.
    let changed: @Sendable (JobID) -> Void

    /// How long upload and download URLs stay valid.
    public static let urlLifetime: Duration = .seconds(3600)

    public enum Dispatch: Sendable {
        /// Sent to the one MediaProcessor over RPC (`media.submit`); it waits in that processor's table.
        case processor
        /// The render request stored beside the clips and a task put on the shared queue through the
        /// outbox, in the QUEUED write's transaction; any MediaProcessor takes it. A job is split into
        /// tasks of about `taskSeconds` of video, each a message, so several processors render it at once.
        case sharedQueue(taskSeconds: Double)
    }

    public struct UploadLimits: Sendable {
        public var maxUploadBytes: Int64
        /// Files this large or larger are uploaded in parts.
        public var multipartThreshold: Int64

        public init(maxUploadBytes: Int64, multipartThreshold: Int64) {
            self.maxUploadBytes = maxUploadBytes
            self.multipartThreshold = multipartThreshold
        }
    }

    public init(
        jobs: any JobStore, objects: any ObjectStore, status: any StatusStore, media: RPCClientPool, text: RPCClient,
        limits: UploadLimits, dispatch: Dispatch = .processor, changed: @escaping @Sendable (JobID) -> Void = { _ in }
    ) {
        self.dispatch = dispatch
        self.jobs = jobs
        self.objects = objects
        self.status = status
        self.media = media
        self.text = text
        self.limits = limits
        self.changed = changed
    }

    // MARK: Reading jobs

    /// The job, or `not_found`; a row that cannot be read is this Gateway's failure, named.
    public func job(_ jobID: JobID) async throws(JobFlowError) -> GatewayJob {
        guard let job = try await stored({ try await jobs.job(jobID) }) else { throw .notFound("no job \(jobID)") }
        return job
    }

    /// The job if this Gateway made it.
    public func knownJob(_ jobID: JobID) async throws(JobFlowError) -> GatewayJob? {
        try await stored { try await jobs.job(jobID) }
    }

    /// The job store answers, or the failure is named (a corrupt record is never "no such job"). One
    /// that cannot be reached (DynamoDB down, a database locked) is `jobs_unavailable`, as the status
    /// store's is: nothing is lost, and the same request succeeds once it is back.
    func stored<T>(_ read: () async throws -> T) async throws(JobFlowError) -> T {
        do {
            return try await read()
        } catch let error as StoredJobError {
            throw JobFlowError(.internalFailure, "job_corrupt", "\(error)")
        } catch {
            throw JobFlowError(.unavailable, "jobs_unavailable", "the Gateway's job store cannot be reached (\(error)); try again shortly")
        }
    }

    /// Reads the status store; one that cannot be reached is `status_unavailable` (nothing is lost: every
    /// write waits in an outbox, but there is nothing true to answer yet), a corrupt record names itself.
    public func readStatus<T>(_ read: () async throws -> T) async throws(JobFlowError) -> T {
        do {
            return try await read()
        } catch let error as StatusRecordError {
            throw JobFlowError(.internalFailure, "status_corrupt", "\(error)")
        } catch {
            throw JobFlowError(.unavailable, "status_unavailable", "the job status store cannot be reached (\(error)); try again shortly")
        }
    }

    /// The job's status: the store's record, or the Gateway's own for a job the relay has not delivered yet.
    public func statusRecord(_ jobID: JobID) async throws(JobFlowError) -> JobStatusRecord {
        if let stored = try await readStatus({ try await status.status(of: jobID) }) { return stored }
        let job = try await job(jobID)
        return JobStatusRecord(
            jobID: jobID, version: 0, state: job.state, attempt: job.attempt, progress: nil, clips: [], error: nil,
            params: nil, createdAt: job.createdAt, updatedAt: job.createdAt)
    }

    /// The job's state as the status store has it, else the Gateway's.
    public func state(of job: GatewayJob) async throws(JobFlowError) -> JobState {
        try await readStatus { try await status.status(of: job.jobID)?.state } ?? job.state
    }

    /// The most recent jobs with their states, newest first.
    public func recent(limit: Int) async throws(JobFlowError) -> [(job: GatewayJob, state: JobState)] {
        var listed: [(GatewayJob, JobState)] = []
        for job in try await stored({ try await jobs.recent(limit: limit) }) {
            listed.append((job, try await state(of: job)))
        }
        return listed
    }

    /// A signed download URL for a clip, named after the uploaded file (`holiday - clip 3.mp4`).
    public func downloadURL(_ clip: ClipRecord, filename: String?) throws(JobFlowError) -> URL {
        let base = filename.map { ($0 as NSString).deletingPathExtension } ?? "clip"
        return try signed { try objects.presignedGet(key: clip.key, downloadName: "\(base) - clip \(clip.index + 1).mp4", expires: Self.urlLifetime) }
    }

    public func thumbnailURL(_ clip: ClipRecord) throws(JobFlowError) -> URL? {
        guard let key = clip.thumbnailKey else { return nil }
        return try signed { try objects.presignedGet(key: key, downloadName: nil, expires: Self.urlLifetime) }
    }

    // MARK: Storage failures

    /// A storage failure the person cannot fix is the Gateway's 502/503 with the store's words.
    func storage<T>(_ body: () async throws -> T) async throws(JobFlowError) -> T {
        do {
            return try await body()
        } catch {
            throw Self.storageFailure(error)
        }
    }

    func signed<T>(_ body: () throws -> T) throws(JobFlowError) -> T {
        do {
            return try body()
        } catch {
            throw Self.storageFailure(error)
        }
    }

    static func storageFailure(_ error: any Error) -> JobFlowError {
        guard let error = error as? StorageError else {
            return JobFlowError(.upstreamFailed, "storage_failed", "the object store failed: \(error)")
        }
        switch error.code {
        case .unavailable:
            return JobFlowError(.unavailable, "storage_unavailable", "the object store cannot be reached: \(error.message); try again shortly")
        case .noSuchUpload:
            return .conflict("the upload is no longer open (\(error.message)); start a new one")
        default:
            return JobFlowError(.upstreamFailed, "storage_failed", "the object store refused: \(error)")
        }
    }

    /// Calls another service; its failure is mapped once (`JobFlowError(_:during:)`).
    func call<Request, Response>(
        _ client: any RPCCaller, _ method: RPCMethod<Request, Response>, _ request: Request,
        timeout: Duration, during step: ServiceCall
    ) async throws(JobFlowError) -> Response {
        do {
            return try await client.call(method, request, timeout: timeout)
        } catch let error as RPCError {
            throw JobFlowError(error, during: step)
        } catch {
            throw JobFlowError(RPCError(.unavailable, "\(error)"), during: step)
        }
    }
}
