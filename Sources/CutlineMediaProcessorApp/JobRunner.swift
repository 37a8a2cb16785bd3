import CutlineBlocking
import CutlineContracts
public import CutlineCore
public import CutlineJobStore
import CutlineMediaEngine
public import CutlineOutbox
public import CutlineStorage
import CutlineTracing
public import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
import Tracing

/// Renders the accepted jobs, the oldest first, `concurrentJobs` at a time: reads the source through a
/// presigned URL (so the render starts before it is all fetched, in both storage modes), uploads each
/// clip as soon as it is written while the next renders, and reports clips and frame progress through
/// the outbox. Failures become FAILED with a code and a message; the runner goes on with the next job.
/// A job still running when the processor stops resumes when it comes back, from its first clip not
/// yet stored. A job cancelled while the processor was down, or whose cancel call never arrived, is
/// seen cancelled in the shared status store before it starts and while it renders.
public final class JobRunner: Service, Sendable {
    let jobs: MediaProcessorJobs
    /// Where the next job comes from: this processor's table, or the shared queue.
    let feed: any JobFeed
    let objects: any ObjectStore
    /// The status every service reads: the Gateway writes CANCELLED there even when this processor is
    /// unreachable.
    let status: any StatusStore
    /// How often a running job's shared status is read for a cancel that did not arrive by call.
    let cancelCheckInterval: Duration
    /// Where clips are written before upload; each job has its own directory, removed on every path.
    let workDirectory: URL
    let logger: Logger
    let concurrentJobs: Int
    let pollInterval: Duration
    /// The least time between two frame-progress writes of one job (clips are reported at once).
    let progressInterval: Duration
    /// A job whose render began this many times without ending (the processor died each time) fails.
    static let maximumStarts = 3
    /// The jobs (and tasks of jobs) being rendered, so a cancel can stop one.
    private let running = Mutex<[TaskKey: Task<Outcome, Never>]>([:])

    public init(
        jobs: MediaProcessorJobs, feed: (any JobFeed)? = nil, objects: any ObjectStore, status: any StatusStore, workDirectory: URL, logger: Logger,
        concurrentJobs: Int = 1, pollInterval: Duration = .milliseconds(100), progressInterval: Duration = .milliseconds(500),
        cancelCheckInterval: Duration = .seconds(2)
    ) {
        self.jobs = jobs
        self.feed = feed ?? LocalJobFeed(jobs: jobs)
        self.objects = objects
        self.status = status
        self.cancelCheckInterval = cancelCheckInterval
        self.workDirectory = workDirectory
        self.logger = logger
        self.concurrentJobs = max(1, concurrentJobs)
        self.pollInterval = pollInterval
        self.progressInterval = progressInterval
    }

    public func run() async throws {
        await withTaskGroup(of: (TaskKey, Outcome)?.self) { group in
            var held: Set<TaskKey> = []
            var sleeping = false
            // A job whose outcome could not be written (a full disk, a database that refuses writes)
            // would be taken up again at once: the next one waits, 1 s doubling to a minute.
            var unrecorded = 0
            var resumeAt = ContinuousClock.now
            while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
                if held.count < concurrentJobs, ContinuousClock.now >= resumeAt, let fed = await nextJob(excluding: held) {
                    let jobID = fed.job.key
                    held.insert(jobID)
                    // A shutdown stops the render; the job stays running in the table and resumes on restart
                    // (from a shared queue, on whichever processor takes its message next).
                    // A consumer span in the trace of the request that queued the job: the task's, or the one
                    // the call that handed it over had (a trace of its own without either).
                    let parent = TraceHeaders.context(traceparent: fed.traceparent ?? fed.job.traceparent)
                    let work = Task {
                        await withSpan("render task", context: parent, ofKind: .consumer) { span in
                            span.attributes["cutline.job_id"] = "\(jobID.jobID)"
                            span.attributes["cutline.first_clip"] = jobID.firstClip
                            return await self.process(fed)
                        }
                    }
                    running.withLock { $0[jobID] = work }
                    group.addTask {
                        let outcome = await withGracefulShutdownHandler {
                            await withTaskCancellationHandler {
                                await work.value
                            } onCancel: {
                                work.cancel()
                            }
                        } onGracefulShutdown: {
                            work.cancel()
                        }
                        return (jobID, outcome)
                    }
                    continue
                }
                // Wait for a job to end or the next look at the queue, whichever comes first.
                if !sleeping {
                    sleeping = true
                    let interval = pollInterval
                    group.addTask {
                        try? await Task.sleep(for: interval)
                        return nil
                    }
                }
                switch await group.next() {
                case .some(.some(let (ended, outcome))):
                    held.remove(ended)
                    running.withLock { $0[ended] = nil }
                    if outcome == .deferred {
                        // The storage did not answer: the next render (this job's again, from the table or
                        // the queue) waits a little, rather than meeting the same outage at once.
                        resumeAt = ContinuousClock.now + Self.deferral
                    } else if outcome != .unrecorded {
                        unrecorded = 0
                    } else {
                        unrecorded += 1
                        let pause = Duration.seconds(min(60, 1 << min(unrecorded - 1, 6)))
                        resumeAt = ContinuousClock.now + pause
                        logger.warning(
                            "a job's outcome could not be written; waiting before the next job",
                            metadata: [
                                "job_id": "\(ended.jobID)", "first_clip": "\(ended.firstClip)", "pause": "\(pause)", "in_a_row": "\(unrecorded)",
                            ])
                    }
                case .some(.none):
                    sleeping = false
                case .none:
                    break
                }
            }
            group.cancelAll()
            for await ended in group {
                if let (ended, _) = ended { running.withLock { $0[ended] = nil } }
            }
        }
    }

    private func nextJob(excluding held: Set<TaskKey>) async -> FedJob? {
        do {
            return try await feed.next(excluding: held)
        } catch {
            logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
            // A queue that cannot be reached is not asked again at once.
            try? await Task.sleep(for: pollInterval * 10)
            return nil
        }
    }

    /// Renders a job from the feed, holding its queue message (if any) while it works: deleted when the
    /// job has ended, visible again at once when the render was interrupted, left to reappear when the
    /// outcome could not be written.
    func process(_ fed: FedJob) async -> Outcome {
        guard let lease = fed.lease else { return await process(fed.job) }
        let key = fed.job.key
        let jobID = key.jobID
        // Renewed while the job renders and until its end is in the status store; a hold that is lost
        // (another processor may have the task now) stops the render here.
        let renewing = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: lease.renewEvery)
                if Task.isCancelled { return }
                if await !lease.renew() {
                    logger.warning(
                        "the job's task is no longer held here; stopping its render",
                        metadata: ["job_id": "\(jobID)", "first_clip": "\(key.firstClip)"])
                    stop(key)
                    return
                }
            }
        }
        let outcome = await process(fed.job)
        var delivered = false
        if outcome == .ended { delivered = await endDelivered(jobID) }
        renewing.cancel()
        // A renewal still under way must not land after the message is deleted or given back.
        await renewing.value
        switch outcome {
        case .ended where delivered: await lease.finished()
        case .ended, .interrupted: await lease.released()
        // Visible again after a pause, for whichever processor is free then.
        case .deferred: await lease.released(after: Self.deferral)
        case .unrecorded: break
        }
        return outcome
    }

    /// How long a render the storage did not answer waits before it is tried again.
    static let deferral: Duration = .seconds(10)

    /// Waits until this job's status writes have left the outbox for the status store, so the task is
    /// deleted only once its end is where every service reads it; false on shutdown before that (the
    /// task is then given back: whoever takes it finds the job ended, or renders what is missing).
    private func endDelivered(_ jobID: JobID) async -> Bool {
        let outbox = OutboxStore(database: jobs.database)
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            let waiting = (try? await outbox.rows(jobID: jobID.description).contains { $0.deliveredAt == nil && $0.quarantinedAt == nil }) ?? true
            if !waiting { return true }
            try? await Task.sleep(for: pollInterval)
        }
        return false
    }

    /// How one render of a job ended, for the runner and the job's queue message.
    enum Outcome {
        /// Completed, failed or cancelled, and recorded.
        case ended
        /// Stopped by a shutdown: the job resumes later.
        case interrupted
        /// The storage did not answer (the source stopped sending, or S3 was unreachable past its
        /// retries): nothing is wrong with the job, which is tried again shortly from its first clip not stored.
        case deferred
        /// The outcome could not be written.
        case unrecorded
    }

    /// Stops the renders of `jobID` running here, every task of it (its state is already cancelled in the
    /// table).
    public func stop(_ jobID: JobID) {
        for work in running.withLock({ $0.filter { $0.key.jobID == jobID }.map(\.value) }) { work.cancel() }
    }

    func stop(_ key: TaskKey) {
        running.withLock { $0[key] }?.cancel()
    }

    /// How the shared status says this attempt ended, if it has: cancelled, or (for a job split into
    /// tasks) failed by another task or completed by copies of them. Read for at most a second: a status
    /// store that is slow or down does not hold the render up (a cancel by call still stops it).
    func endedElsewhere(_ job: MediaProcessorJobs.Job) async -> JobState? {
        let request = job.request
        let status = status
        let jobID = request.jobID
        let record = await withTaskGroup(of: JobStatusRecord??.self) { group in
            group.addTask { try? await status.status(of: jobID) }
            group.addTask {
                try? await Task.sleep(for: .seconds(1))
                return .some(nil)
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        guard let record = record ?? nil, record.attempt == request.attempt else { return nil }
        if record.state == .cancelled || (job.isTask && record.state.isTerminal) { return record.state }
        return nil
    }

    /// Records an end found in the shared status, so the job is not taken up again.
    private func endHere(_ job: MediaProcessorJobs.Job, _ state: JobState) async {
        do {
            if state == .cancelled {
                _ = try await jobs.cancel(job.request.jobID)
            } else {
                try await jobs.endedElsewhere(job.key, state: state)
            }
        } catch {
            logger.error("cannot record the job's end", metadata: ["error": "\(error)", "state": "\(state.rawValue)"])
        }
    }

    /// Renders the job and records how it ended.
    @discardableResult
    func process(_ job: MediaProcessorJobs.Job) async -> Outcome {
        let request = job.request
        let range = job.range
        var logger = logger
        if job.isTask { logger[metadataKey: "task"] = "\(range.lowerBound)..<\(range.upperBound)" }
        return await JobContext.$jobID.withValue(request.jobID) {
            // The clips already stored are kept; the render resumes at the first one missing.
            var clips =
                job.state == .processing
                ? Array(
                    job.clips.enumerated().prefix { range.lowerBound + $0.offset == $0.element.index && range.contains($0.element.index) }.map(
                        \.element))
                : []
            // Cancelled while this processor was down (or the call never arrived): nothing is rendered.
            if let ended = await endedElsewhere(job) {
                await endHere(job, ended)
                logger.info(
                    ended == .cancelled ? "job cancelled before it started here" : "job ended elsewhere before it started here",
                    metadata: ["state": "\(ended.rawValue)", "clips_uploaded": "\(clips.count)"])
                return .ended
            }
            logger.info(
                job.isTask ? "task started" : "job started",
                metadata: [
                    "clips": "\(request.plan.count)", "resumed": "\(job.state == .processing)",
                    "first_clip": "\(range.lowerBound + clips.count)", "starts": "\(job.starts)",
                ])
            let directory = workDirectory.appendingPathComponent(job.key.description.replacingOccurrences(of: "/", with: "-"))
            defer { try? FileManager.default.removeItem(at: directory) }
            do {
                if job.state == .processing && job.starts >= Self.maximumStarts {
                    throw RenderCrashed(starts: job.starts)
                }
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                var running = job
                running.state = .processing
                running.clips = clips
                try await jobs.start(running)
                var frames: (done: Int64, total: Int64) = (0, 0)
                if clips.count < range.count {
                    frames = try await render(running, into: directory, clips: &clips, logger: logger)
                }
                try Task.checkCancellation()
                try await jobs.complete(running, clips: clips, frames: (frames.total, frames.total))
                logger.info(job.isTask ? "task completed" : "job completed", metadata: ["clips": "\(clips.count)"])
                return .ended
            } catch  where Task.isCancelled {
                if let state = (try? await jobs.job(job.key))?.state, state.isTerminal {
                    logger.info("job \(state == .cancelled ? "cancelled" : "ended elsewhere")", metadata: ["clips_uploaded": "\(clips.count)"])
                    return .ended
                }
                try? await jobs.interrupted(job.key)
                logger.info("job interrupted; it resumes when the processor starts again", metadata: ["clips_uploaded": "\(clips.count)"])
                return .interrupted
            } catch  where Self.isStorageOutage(error) {
                try? await jobs.interrupted(job.key)
                logger.warning(
                    "the storage did not answer; the job is tried again shortly",
                    metadata: ["error": "\(error)", "clips_uploaded": "\(clips.count)", "retry_after": "\(Self.deferral)"])
                return .deferred
            } catch {
                let failure = JobFailure(error: error)
                logger.error("job failed", metadata: ["code": "\(failure.code)", "error": "\(failure.message)"])
                do {
                    try await jobs.fail(job, clips: clips, failure: failure)
                    return .ended
                } catch {
                    logger.error("cannot record the failure", metadata: ["error": "\(error)"])
                    return .unrecorded
                }
            }
        }
    }

    /// A failure of the storage, not of the job: the source stopped sending in the middle of a read (a
    /// stored object is not slow by itself), or the object store could not be reached past its retries.
    static func isStorageOutage(_ error: any Error) -> Bool {
        if let error = error as? MediaError { return error.code == .timedOut }
        if let error = error as? StorageError { return error.code == .unavailable }
        return false
    }

    /// Renders the job's clips (its task's run of the plan) from the first not yet stored on, storing each
    /// as soon as it is written; the frames rendered and the plan's frames in all (as the render counts them).
    private func render(
        _ job: MediaProcessorJobs.Job, into directory: URL, clips: inout [ClipRecord], logger: Logger
    ) async throws -> (done: Int64, total: Int64) {
        let request = job.request
        let range = job.range
        let first = range.lowerBound + clips.count
        let source = try objects.presignedGet(key: request.sourceKey, downloadName: nil, expires: .seconds(6 * 3600))
        var render = RenderRequest(
            source: source.absoluteString, plan: request.plan, texts: request.texts, style: request.style,
            outputDirectory: directory.path)
        render.firstSegment = first
        render.endSegment = range.upperBound
        if let platform = request.platform { render.target(platform) }
        if let shape = request.shape { render.shape = shape }
        let latest = Shared<RenderProgress?>(nil)
        let (finished, announce) = AsyncStream<RenderedClip>.makeStream()
        let rendering = Task {
            defer { announce.finish() }
            return try await Renderer.render(
                render, progress: { progress in latest.value.withLock { $0 = progress } }, clipFinished: { announce.yield($0) })
        }
        let stored = Shared<[ClipRecord]>(clips)
        // Frame progress, a few writes a second at most, while clips go up.
        let reporter = Task {
            var reported: (Int, Int64)?
            while !Task.isCancelled {
                try? await Task.sleep(for: progressInterval)
                guard let progress = latest.value.withLock({ $0 }) else { continue }
                let clips = stored.value.withLock { $0 }
                let permille = Self.permille(of: request.plan, next: range.lowerBound + clips.count, before: range.upperBound, progress: progress)
                guard reported.map({ $0 != (clips.count, permille) }) ?? true, clips.count < range.count else { continue }
                reported = (clips.count, permille)
                try? await jobs.framesRendered(
                    job, clips: clips, nextClipPermille: permille,
                    frames: (Int64(progress.framesDone), Int64(progress.framesTotal)))
            }
        }
        defer { reporter.cancel() }
        // A cancel that reached the status store but not this processor stops the render too, and so does
        // another task's failure.
        let watcher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: cancelCheckInterval)
                if !Task.isCancelled, let ended = await endedElsewhere(job) {
                    await endHere(job, ended)
                    logger.info("job \(ended.rawValue) in the status store; stopping its render")
                    stop(job.key)
                    return
                }
            }
        }
        defer { watcher.cancel() }
        // Cancelling this job cancels the render too (it stops at its next packet and removes the partial
        // clip), and the render is always awaited, so its files are gone before the directory is.
        // `cutline_render_clip_seconds` (each clip's share of the render's wall time) and
        // `cutline_render_frames_per_second` (this render's rate so far).
        let renderStarted = ContinuousClock.now
        var lastClipAt = renderStarted
        try await withTaskCancellationHandler {
            do {
                for await clip in finished {
                    let now = ContinuousClock.now
                    Timer(label: "cutline_render_clip_seconds").record(duration: now - lastClipAt)
                    lastClipAt = now
                    if let progress = latest.value.withLock({ $0 }) {
                        // A resumed render counts from its first segment's frames on.
                        let perSecond = Double(progress.framesTotal) / max(request.plan.duration, 1e-9)
                        let rendered = Double(progress.framesDone) - request.plan.segments[first].start * perSecond
                        let elapsed = now - renderStarted
                        let seconds = elapsed.inSeconds
                        if seconds > 0 { Gauge(label: "cutline_render_frames_per_second").record(max(0, rendered) / seconds) }
                    }
                    let key = ObjectKeys.clip(request.jobID, index: clip.index)
                    try await objects.put(key: key, file: URL(fileURLWithPath: clip.path), contentType: "video/mp4")
                    try? FileManager.default.removeItem(atPath: clip.path)
                    var thumbnailKey: String?
                    if let thumbnail = clip.thumbnailPath {
                        // Uploaded before the clip is recorded, so a listed thumbnail is always there.
                        thumbnailKey = ObjectKeys.thumbnail(request.jobID, index: clip.index)
                        try await objects.put(key: thumbnailKey!, file: URL(fileURLWithPath: thumbnail), contentType: "image/jpeg")
                        try? FileManager.default.removeItem(atPath: thumbnail)
                    }
                    clips.append(
                        ClipRecord(
                            index: clip.index, start: clip.start, duration: clip.duration, text: request.texts[clip.index], key: key,
                            size: clip.bytes, thumbnailKey: thumbnailKey))
                    let frames = latest.value.withLock { $0 }.map { (Int64($0.framesDone), Int64($0.framesTotal)) } ?? (0, 0)
                    try await jobs.clipUploaded(job, clips: clips, frames: frames)
                    stored.value.withLock { [clips] in $0 = clips }
                    logger.info("clip uploaded", metadata: ["clip": "\(clip.index)", "key": "\(key)", "bytes": "\(clip.bytes)"])
                }
            } catch {
                rendering.cancel()
                _ = try? await rendering.value
                throw error
            }
            _ = try await rendering.value
        } onCancel: {
            rendering.cancel()
        }
        return latest.value.withLock { $0.map { (Int64($0.framesDone), Int64($0.framesTotal)) } } ?? (0, 0)
    }

    /// How much of clip `next` (the next to be stored) is rendered, in 0…999; 999 once the render is past
    /// it, or past `end` (the end of the task's clips).
    static func permille(of plan: SegmentPlan, next: Int, before end: Int, progress: RenderProgress) -> Int64 {
        guard plan.segments.indices.contains(next), next < end else { return 999 }
        let segment = plan.segments[next]
        let perSecond = Double(progress.framesTotal) / max(plan.duration, 1e-9)
        let done = (Double(progress.framesDone) - segment.start * perSecond) / max(segment.duration * perSecond, 1)
        return Int64(min(999, max(0, (done * 1000).rounded(.down))))
    }
}

/// The processor stopped (crashed or was killed) every time it rendered this job.
struct RenderCrashed: Error, JobFailureConvertible {
    let starts: Int
    var jobFailure: JobFailure {
        JobFailure(
            code: "render_crashed",
            message: "the MediaProcessor stopped \(starts) times while rendering this job, so it was not started again; "
                + "check the processor's log for what stopped it, then submit the job again")
    }
}

/// A value shared between the render's thread and the tasks that report it.
private final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ initial: Value) { value = Mutex(initial) }
}
