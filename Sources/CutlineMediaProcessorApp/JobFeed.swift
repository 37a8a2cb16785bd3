import CutlineContracts
import CutlineCore
public import CutlineJobStore
public import CutlineOutbox
public import CutlineSQS
public import CutlineStorage
import CutlineWire
import Foundation
public import Logging
import Metrics
import Synchronization

/// Where the runner's jobs come from: this processor's own table (embedded mode, fed by `media.submit`),
/// or the shared queue every processor long-polls. Chosen once, in the composition root.
public protocol JobFeed: Sendable {
    /// The next job (or task of one) to render, never one of `held`; nil when none is waiting now (it
    /// may wait a little).
    func next(excluding held: Set<TaskKey>) async throws -> FedJob?
}

/// A job to render and, from a shared queue, the hold on its message.
public struct FedJob: Sendable {
    public var job: MediaProcessorJobs.Job
    public var lease: (any JobLease)?
    /// The trace of the request that queued it (the task's `traceparent`), which the render joins.
    public var traceparent: String? = nil
}

/// A processor's hold on a queued task: renewed while it renders, given up when the job ends here (the
/// message is deleted) or is interrupted (the message is visible again at once, for another processor).
public protocol JobLease: Sendable {
    var renewEvery: Duration { get }
    /// Keeps the hold; false once it is lost for good (another processor may have the task now).
    func renew() async -> Bool
    func finished() async
    func released() async
    /// Given back, visible to the processors again after `delay`.
    func released(after delay: Duration) async
}

/// The processor's own table: the oldest job waiting, or one left running when it stopped.
public struct LocalJobFeed: JobFeed {
    let jobs: MediaProcessorJobs
    let sampling = Sampling(every: .seconds(2))

    public init(jobs: MediaProcessorJobs) {
        self.jobs = jobs
    }

    public func next(excluding held: Set<TaskKey>) async throws -> FedJob? {
        if sampling.due(), let (count, oldest) = try? await jobs.waiting() {
            QueueMetrics.depth(count, oldestAge: oldest.map { Date().timeIntervalSince($0) } ?? 0)
        }
        return try await jobs.next(excluding: held).map { FedJob(job: $0, lease: nil) }
    }
}

/// `cutline_queue_depth` (jobs waiting), `cutline_queue_oldest_age_seconds` (this processor's table) and
/// `cutline_queue_wait_seconds` (a task's time on the shared queue before a processor took it).
enum QueueMetrics {
    static func depth(_ count: Int, oldestAge: Double? = nil) {
        Gauge(label: "cutline_queue_depth").record(count)
        if let oldestAge { Gauge(label: "cutline_queue_oldest_age_seconds").record(oldestAge) }
    }

    static func waited(since sent: Date) {
        Timer(label: "cutline_queue_wait_seconds").recordSeconds(max(0, Date().timeIntervalSince(sent)))
    }
}

/// Says yes at most once per interval: for samples that cost a query.
final class Sampling: Sendable {
    let every: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(every: Duration) { self.every = every }

    func due() -> Bool {
        last.withLock { last in
            let now = ContinuousClock.now
            guard last.map({ now - $0 >= every }) ?? true else { return false }
            last = now
            return true
        }
    }
}

/// The shared queue (SQS). A task names its job, the request object and its run of clips; the task is
/// then recorded in this processor's table (so its writes go through the outbox as in embedded mode), and
/// a task another processor began is resumed from its first clip not stored, as the shared status lists
/// them.
public struct QueueJobFeed: JobFeed {
    let queue: SQSJobQueue
    let jobs: MediaProcessorJobs
    let objects: any ObjectStore
    let status: any StatusStore
    /// This processor's name, in its claims on the tasks it renders.
    let processor: String
    let logger: Logger
    /// How long one receive waits for a message: short enough that a shutdown is not held up long.
    let wait: Duration
    /// The holds on the tasks this processor renders now.
    let leases = LeaseBook()
    let sampling = Sampling(every: .seconds(10))

    /// A request object larger than this is not a job (500 clips of 1,000-character texts are ~2 MiB).
    static let maximumRequestBytes: Int64 = 16 << 20

    public init(
        queue: SQSJobQueue, jobs: MediaProcessorJobs, objects: any ObjectStore, status: any StatusStore, processor: String, logger: Logger,
        wait: Duration = .seconds(5)
    ) {
        self.queue = queue
        self.jobs = jobs
        self.objects = objects
        self.status = status
        self.processor = processor
        self.logger = logger
        self.wait = wait
    }

    public func next(excluding held: Set<TaskKey>) async throws -> FedJob? {
        if sampling.due(), let waiting = try? await queue.client.attributes(queue.url, names: ["ApproximateNumberOfMessages"]) {
            QueueMetrics.depth(Int(waiting["ApproximateNumberOfMessages"] ?? "") ?? 0)
        }
        guard let message = try await queue.client.receive(queue.url, maximum: 1, wait: wait, visibility: queue.visibility).first else {
            return nil
        }
        if message.receiveCount == 1, let sent = message.sentAt { QueueMetrics.waited(since: sent) }
        let lease = QueueLease(queue: queue, messageID: message.messageID, receipt: message.receiptHandle, logger: logger)
        let task: RenderTask
        do {
            task = try RenderTask.decode(message.body)
        } catch let error as RenderTaskFormatError {
            // A newer Gateway's task: left for a processor that reads it (this one comes back to it).
            logger.warning("a task of a format this processor does not read; left on the queue", metadata: ["error": "\(error)"])
            return nil
        } catch {
            // Nothing names a job to report on; kept, it would only come back until it expires.
            logger.error("a queue message is not a render task; deleted", metadata: ["message_id": "\(message.messageID)", "error": "\(error)"])
            await lease.finished()
            return nil
        }
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(task.jobID)"
        let key = TaskKey(jobID: task.jobID, firstClip: task.firstClip)
        if task.taskCount > 1 { logger[metadataKey: "first_clip"] = "\(task.firstClip)" }
        if held.contains(key) {
            if let holding = leases.lease(of: key), holding.messageID == message.messageID {
                // Its own task again (a renewal came late): the render keeps it, under the new receipt.
                holding.adopt(message.receiptHandle)
            } else {
                // A copy of a task rendering here now (sent twice): the render's own task stands for it.
                logger.info("a second copy of a task rendering here; deleted")
                await lease.finished()
            }
            return nil
        }
        let request: SubmitRequest
        do {
            request = try await Self.request(of: task, objects: objects)
        } catch let error where !(error is QueueTaskError || error is DecodingError || error is RPCError) {
            // The store did not answer: the task comes back after its visibility, when it may.
            logger.warning("the job's render request cannot be read now; the task comes back later", metadata: ["error": "\(error)"])
            return nil
        } catch {
            logger.error("the job's render request cannot be read; the job fails", metadata: ["key": "\(task.requestKey)", "error": "\(error)"])
            try await jobs.failUnread(
                task.jobID, attempt: task.attempt,
                failure: JobFailure(code: "bad_request", message: "the job's render request \(task.requestKey) cannot be read: \(error)"))
            await lease.finished()
            return nil
        }
        let range = task.firstClip..<task.firstClip + task.clipCount
        guard range.upperBound <= request.plan.count, task.taskCount <= request.plan.count else {
            logger.error("the task's clips are not in the job's plan; the job fails", metadata: ["key": "\(task.requestKey)"])
            try await jobs.failUnread(
                task.jobID, attempt: task.attempt,
                failure: JobFailure(
                    code: "bad_request",
                    message:
                        "a task of this job names clips \(range.lowerBound) to \(range.upperBound - 1) of \(task.taskCount) tasks, and its plan has \(request.plan.count) clips"
                ))
            await lease.finished()
            return nil
        }
        // A second copy of a task (sent twice) that another processor renders now is not rendered here too.
        let claim = ClaimHold(
            status: status, jobID: task.jobID, firstClip: task.firstClip, processor: processor, messageID: message.messageID,
            lifetime: queue.visibility)
        switch await claim.take() {
        case .some(let holder):
            logger.info(
                "a copy of a task another processor renders; deleted", metadata: ["holder": "\(holder.processor)", "held_until": "\(holder.until)"])
            await lease.finished()
            return nil
        case .none:
            lease.attach(claim)
        }
        _ = try await jobs.accept(request, range: range, taskCount: task.taskCount)
        guard let local = try await jobs.job(key) else { return nil }
        if local.state.isTerminal && local.request.attempt >= task.attempt {
            logger.info("the task already ended here; its message is deleted", metadata: ["state": "\(local.state.rawValue)"])
            await lease.finished()
            return nil
        }
        var clips = local.state == .processing ? Self.leadingClips(local.clips, of: range, texts: request.texts) : []
        // Another processor may have stored clips of this task before it stopped (or ended the job).
        if let record = try? await status.status(of: task.jobID), record.attempt == request.attempt {
            let ended = record.state == .completed || record.state == .failed ? record.state : nil
            let taskEnded = record.tasks.contains { $0.firstClip == task.firstClip && $0.state == .completed } ? JobState.completed : nil
            if let state = ended ?? (task.taskCount > 1 ? taskEnded : nil) {
                logger.info("the task already ended on another processor; its message is deleted", metadata: ["state": "\(state.rawValue)"])
                try await jobs.endedElsewhere(key, state: state)
                await lease.finished()
                return nil
            }
            let shared = Self.leadingClips(record.clips, of: range, texts: request.texts)
            if shared.count > clips.count { clips = shared }
        }
        let state: JobState = clips.isEmpty && local.state == .queued ? .queued : .processing
        leases.hold(lease, for: key)
        return FedJob(
            job: MediaProcessorJobs.Job(request: request, state: state, clips: clips, starts: local.starts, range: range, taskCount: task.taskCount),
            lease: lease, traceparent: task.traceparent)
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

    /// The clips of `range` stored from its first on without a gap (the render resumes after them), with
    /// their texts (the shared status keeps none).
    static func leadingClips(_ clips: [ClipRecord], of range: Range<Int>, texts: [String]) -> [ClipRecord] {
        clips.filter { range.contains($0.index) }.sorted { $0.index < $1.index }.enumerated()
            .prefix { range.lowerBound + $0.offset == $0.element.index && $0.element.index < texts.count }
            .map {
                var clip = $0.element
                clip.text = texts[clip.index]
                return clip
            }
    }
}

struct QueueTaskError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The holds this processor has on tasks (a task received again while its render runs is recognised by
/// its message id).
final class LeaseBook: Sendable {
    private let held = Mutex<[TaskKey: QueueLease]>([:])

    func hold(_ lease: QueueLease, for key: TaskKey) {
        held.withLock { $0[key] = lease }
        lease.onEnd { [weak self, weak lease] in
            self?.held.withLock { if let lease, $0[key] === lease { $0[key] = nil } }
        }
    }

    func lease(of key: TaskKey) -> QueueLease? { held.withLock { $0[key] } }
}

/// This processor's claim on a task in the status store (`StatusStore.claim`), renewed with the task's
/// message and given up with it. A store that cannot be reached does not stop a render: the claim only
/// keeps a duplicate copy from being rendered twice.
struct ClaimHold: Sendable {
    let status: any StatusStore
    let jobID: JobID
    let firstClip: Int
    let processor: String
    let messageID: String
    let lifetime: Duration

    /// nil when the task is this processor's now (or the store could not say), else the claim holding it.
    func take() async -> TaskClaim? {
        let now = Date()
        let claim = TaskClaim(processor: processor, messageID: messageID, until: now.addingTimeInterval(lifetime.inSeconds))
        return try? await status.claim(jobID, task: firstClip, claim, now: now)
    }

    /// Gives the task up at once (a shutdown): the next processor to receive it need not wait for the claim to expire.
    func release() async {
        let now = Date()
        _ = try? await status.claim(jobID, task: firstClip, TaskClaim(processor: processor, messageID: messageID, until: now), now: now)
    }
}

/// The hold on one received message: its receipt (the newest, when the message was received again while
/// held), renewed while the job renders, with the claim on its task.
final class QueueLease: JobLease {
    let queue: SQSJobQueue
    let messageID: String
    let logger: Logger
    private struct State {
        var receipt: String
        var renewedAt = ContinuousClock.now
        var ended: [@Sendable () -> Void] = []
        var claim: ClaimHold?
    }
    private let state: Mutex<State>

    init(queue: SQSJobQueue, messageID: String, receipt: String, logger: Logger) {
        self.queue = queue
        self.messageID = messageID
        self.logger = logger
        state = Mutex(State(receipt: receipt))
    }

    var receipt: String { state.withLock { $0.receipt } }

    func adopt(_ receipt: String) {
        state.withLock {
            $0.receipt = receipt
            $0.renewedAt = .now
        }
    }

    func onEnd(_ action: @escaping @Sendable () -> Void) { state.withLock { $0.ended.append(action) } }

    func attach(_ claim: ClaimHold) { state.withLock { $0.claim = claim } }

    /// A third of the visibility: two renewals may fail before another processor could take the job.
    var renewEvery: Duration { queue.visibility / 3 }

    func renew() async -> Bool {
        do {
            try await queue.client.changeVisibility(queue.url, receiptHandle: receipt, visibility: queue.visibility)
            state.withLock { $0.renewedAt = .now }
            if let claim = state.withLock({ $0.claim }), let holder = await claim.take() {
                logger.warning("the task is claimed by another copy of its message", metadata: ["holder": "\(holder.processor)"])
                return false
            }
            return true
        } catch let error as SQSError where error.isReceiptInvalid {
            logger.warning("the task's hold is lost (its receipt is no longer valid)", metadata: ["error": "\(error)"])
            return false
        } catch {
            // Not renewed for a whole visibility: another processor may have taken the task by now.
            let lapsed = state.withLock { ContinuousClock.now - $0.renewedAt >= queue.visibility }
            logger.warning("the task's hold could not be renewed", metadata: ["error": "\(error)", "lapsed": "\(lapsed)"])
            return !lapsed
        }
    }

    func finished() async {
        defer { end() }
        do {
            try await queue.client.delete(queue.url, receiptHandle: receipt)
        } catch {
            // It comes back after its visibility; the job is then found ended and the copy deleted.
            logger.warning("the task's message could not be deleted", metadata: ["error": "\(error)"])
        }
    }

    func released() async {
        await released(after: .zero)
    }

    func released(after delay: Duration) async {
        defer { end() }
        await state.withLock({ $0.claim })?.release()
        try? await queue.client.changeVisibility(queue.url, receiptHandle: receipt, visibility: delay)
    }

    private func end() {
        for action in state.withLock({ $0.ended }) { action() }
    }
}
