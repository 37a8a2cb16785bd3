import CutlineBlocking
public import CutlineContracts
public import CutlineCore
import CutlineMediaEngine
public import CutlineStorage
public import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// Renders the accepted jobs, the oldest first: reads the source through a presigned URL (so the render
/// starts before it is all fetched, in both storage modes), uploads each clip as soon as it is written
/// while the next renders, and reports every clip through the outbox. Failures become FAILED with a
/// code and a message; the runner goes on with the next job. A job still running when the processor
/// stops is started again when it comes back.
public final class JobRunner: Service, Sendable {
    let jobs: ProcessorJobs
    let objects: any ObjectStore
    /// Where clips are written before upload; each job has its own directory, removed on every path.
    let workDirectory: URL
    let logger: Logger
    let pollInterval: Duration
    /// The job being rendered, so a cancel can stop it.
    private let current = Mutex<(jobID: JobID, task: Task<Void, Never>)?>(nil)

    public init(jobs: ProcessorJobs, objects: any ObjectStore, workDirectory: URL, logger: Logger, pollInterval: Duration = .milliseconds(100)) {
        self.jobs = jobs
        self.objects = objects
        self.workDirectory = workDirectory
        self.logger = logger
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task<Never, Never>.isShuttingDownGracefully {
            let next: ProcessorJobs.Job?
            do {
                next = try await jobs.next()
            } catch {
                logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
                next = nil
            }
            guard let job = next else {
                try? await Task.sleep(for: pollInterval)
                continue
            }
            // A shutdown stops the render; the job stays running in the table and resumes on restart.
            let work = Task { await self.process(job) }
            current.withLock { $0 = (job.request.jobID, work) }
            defer { current.withLock { $0 = nil } }
            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    await work.value
                } onCancel: {
                    work.cancel()
                }
            } onGracefulShutdown: {
                work.cancel()
            }
        }
    }

    /// Stops `jobID`'s render if it is the one running (its state is already cancelled in the table).
    public func stop(_ jobID: JobID) {
        current.withLock { $0 }.map { $0.jobID == jobID ? $0.task.cancel() : () }
    }

    func process(_ job: ProcessorJobs.Job) async {
        let request = job.request
        await JobContext.$jobID.withValue(request.jobID) {
            logger.info("job started", metadata: ["clips": "\(request.plan.count)", "resumed": "\(job.state == .running)"])
            let directory = workDirectory.appendingPathComponent(request.jobID.description)
            defer { try? FileManager.default.removeItem(at: directory) }
            var clips: [ClipRecord] = []
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try await jobs.start(ProcessorJobs.Job(request: request, state: .running, clips: []))
                let source = try objects.presignedGet(key: request.sourceKey, downloadName: nil, expires: .seconds(6 * 3600))
                let render = RenderRequest(source: source.absoluteString, plan: request.plan, texts: request.texts, style: request.style,
                                           outputDirectory: directory.path)
                let (finished, announce) = AsyncStream<RenderedClip>.makeStream()
                let rendering = Task {
                    defer { announce.finish() }
                    return try await Renderer.render(render, clipFinished: { announce.yield($0) })
                }
                // Each clip goes up as soon as it is written, while the render goes on. Cancelling this
                // job cancels the render too (it stops at its next packet and removes the partial clip),
                // and the render is always awaited, so its files are gone before the directory is.
                try await withTaskCancellationHandler {
                    do {
                        for await clip in finished {
                            let key = "clips/\(request.jobID)/\(clip.index).mp4"
                            try await objects.put(key: key, file: URL(fileURLWithPath: clip.path), contentType: "video/mp4")
                            try? FileManager.default.removeItem(atPath: clip.path)
                            clips.append(ClipRecord(index: clip.index, start: clip.start, duration: clip.duration, text: request.texts[clip.index], key: key, size: clip.bytes))
                            try await jobs.clipUploaded(request, clips: clips)
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
                try Task.checkCancellation()
                try await jobs.complete(request, clips: clips)
                logger.info("job completed", metadata: ["clips": "\(clips.count)"])
            } catch where Task.isCancelled {
                if (try? await jobs.job(request.jobID))?.state == .cancelled {
                    logger.info("job cancelled", metadata: ["clips_uploaded": "\(clips.count)"])
                } else {
                    logger.info("job interrupted; it starts again when the processor does", metadata: ["clips_uploaded": "\(clips.count)"])
                }
            } catch {
                let failure = JobFailure(error: error)
                logger.error("job failed", metadata: ["code": "\(failure.code)", "error": "\(failure.message)"])
                do {
                    try await jobs.fail(request, clips: clips, failure: failure)
                } catch {
                    logger.error("cannot record the failure", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
