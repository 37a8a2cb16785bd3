import CutlineContracts
public import CutlineCore
public import CutlineJobStore
public import CutlineOutbox
public import CutlineSQS
public import CutlineStorage
import Foundation
public import Logging

/// Where the runner's jobs come from: this processor's own table (embedded mode, fed by `media.submit`),
/// or the shared queue every processor long-polls. Chosen once, in the composition root.
public protocol JobFeed: Sendable {
    /// The next job to render, never one of `held`; nil when none is waiting now (it may wait a little).
    func next(excluding held: Set<JobID>) async throws -> FedJob?
}

/// A job to render and, from a shared queue, the hold on its message.
public struct FedJob: Sendable {
    public var job: MediaProcessorJobs.Job
    public var lease: (any JobLease)?
}

/// A processor's hold on a queued task: renewed while it renders, given up when the job ends here (the
/// message is deleted) or is interrupted (the message is visible again at once, for another processor).
public protocol JobLease: Sendable {
    var renewEvery: Duration { get }
    func renew() async
    func finished() async
    func released() async
}

/// The processor's own table: the oldest job waiting, or one left running when it stopped.
public struct LocalJobFeed: JobFeed {
    let jobs: MediaProcessorJobs

    public init(jobs: MediaProcessorJobs) {
        self.jobs = jobs
    }

    public func next(excluding held: Set<JobID>) async throws -> FedJob? {
        try await jobs.next(excluding: held).map { FedJob(job: $0, lease: nil) }
    }
}

/// The shared queue (SQS). A task names its job and the request object; the job is then recorded in this
/// processor's table (so its writes go through the outbox as in embedded mode), and a job another
/// processor began is resumed from its first clip not stored, as the shared status lists them.
public struct QueueJobFeed: JobFeed {
    let queue: SQSJobQueue
    let jobs: MediaProcessorJobs
    let objects: any ObjectStore
    let status: any StatusStore
    let logger: Logger
    /// How long one receive waits for a message: short enough that a shutdown is not held up long.
    let wait: Duration

    /// A request object larger than this is not a job (500 clips of 1,000-character texts are ~2 MiB).
    static let maximumRequestBytes: Int64 = 16 << 20

    public init(
        queue: SQSJobQueue, jobs: MediaProcessorJobs, objects: any ObjectStore, status: any StatusStore, logger: Logger,
        wait: Duration = .seconds(5)
    ) {
        self.queue = queue
        self.jobs = jobs
        self.objects = objects
        self.status = status
        self.logger = logger
        self.wait = wait
    }

    public func next(excluding held: Set<JobID>) async throws -> FedJob? {
        guard let message = try await queue.client.receive(queue.url, maximum: 1, wait: wait, visibility: queue.visibility).first else {
            return nil
        }
        let lease = QueueLease(queue: queue, receipt: message.receiptHandle, logger: logger)
        let task: RenderTask
        do {
            task = try RenderTask.decode(message.body)
        } catch {
            // Nothing names a job to report on; kept, it would only come back until it expires.
            logger.error("a queue message is not a render task; deleted", metadata: ["message_id": "\(message.messageID)", "error": "\(error)"])
            await lease.finished()
            return nil
        }
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(task.jobID)"
        // Sent twice, and rendering here now: the copy comes back once the render has ended.
        if held.contains(task.jobID) { return nil }
        let request: SubmitRequest
        do {
            request = try await Self.request(of: task, objects: objects)
        } catch {
            logger.error("the job's render request cannot be read; the job fails", metadata: ["key": "\(task.requestKey)", "error": "\(error)"])
            try await jobs.failUnread(
                task.jobID, attempt: task.attempt,
                failure: JobFailure(code: "bad_request", message: "the job's render request \(task.requestKey) cannot be read: \(error)"))
            await lease.finished()
            return nil
        }
        _ = try await jobs.accept(request)
        guard let local = try await jobs.job(task.jobID) else { return nil }
        if local.state.isTerminal && local.request.attempt >= task.attempt {
            logger.info("the job already ended here; its message is deleted", metadata: ["state": "\(local.state.rawValue)"])
            await lease.finished()
            return nil
        }
        var clips = local.state == .processing ? Self.leadingClips(local.clips, texts: request.texts) : []
        // Another processor may have stored clips of this job before it stopped (or ended the job).
        if let record = try? await status.status(of: task.jobID), record.attempt == request.attempt {
            if record.state == .completed || record.state == .failed {
                logger.info("the job already ended on another processor; its message is deleted", metadata: ["state": "\(record.state.rawValue)"])
                await lease.finished()
                return nil
            }
            let shared = Self.leadingClips(record.clips, texts: request.texts)
            if shared.count > clips.count { clips = shared }
        }
        let state: JobState = clips.isEmpty && local.state == .queued ? .queued : .processing
        return FedJob(job: MediaProcessorJobs.Job(request: request, state: state, clips: clips, starts: local.starts), lease: lease)
    }

    /// The request the task names, read in bounds and checked as a job submitted by call would be.
    static func request(of task: RenderTask, objects: any ObjectStore) async throws -> SubmitRequest {
        guard task.requestKey.hasPrefix(ObjectKeys.clipsPrefix(task.jobID)) else {
            throw QueueTaskError("the request key \(task.requestKey) is not under \(ObjectKeys.clipsPrefix(task.jobID))")
        }
        guard let info = try await objects.head(key: task.requestKey) else { throw QueueTaskError("no object \(task.requestKey)") }
        guard info.size <= maximumRequestBytes else {
            throw QueueTaskError("\(task.requestKey) is \(info.size) bytes; a render request is at most \(maximumRequestBytes)")
        }
        let bytes = try await objects.get(key: task.requestKey, range: nil)
        let request = try JSONDecoder().decode(SubmitRequest.self, from: Data(bytes))
        guard request.jobID == task.jobID, request.attempt == task.attempt else {
            throw QueueTaskError("\(task.requestKey) is job \(request.jobID) attempt \(request.attempt), not \(task.jobID) attempt \(task.attempt)")
        }
        try MediaProcessorHandlers.check(request)
        return request
    }

    /// The clips stored from the first on without a gap (the render resumes after them), with their texts
    /// (the shared status keeps none).
    static func leadingClips(_ clips: [ClipRecord], texts: [String]) -> [ClipRecord] {
        clips.sorted { $0.index < $1.index }.enumerated().prefix { $0.offset == $0.element.index && $0.offset < texts.count }.map {
            var clip = $0.element
            clip.text = texts[$0.offset]
            return clip
        }
    }
}

struct QueueTaskError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The hold on one received message.
struct QueueLease: JobLease {
    let queue: SQSJobQueue
    let receipt: String
    let logger: Logger

    /// A third of the visibility: two renewals may fail before another processor could take the job.
    var renewEvery: Duration { queue.visibility / 3 }

    func renew() async {
        do {
            try await queue.client.changeVisibility(queue.url, receiptHandle: receipt, visibility: queue.visibility)
        } catch {
            logger.warning("the task's message could not be kept invisible; another processor may take the job", metadata: ["error": "\(error)"])
        }
    }

    func finished() async {
        do {
            try await queue.client.delete(queue.url, receiptHandle: receipt)
        } catch {
            // It comes back after its visibility; the job is then found ended and the copy deleted.
            logger.warning("the task's message could not be deleted", metadata: ["error": "\(error)"])
        }
    }

    func released() async {
        try? await queue.client.changeVisibility(queue.url, receiptHandle: receipt, visibility: .zero)
    }
}
