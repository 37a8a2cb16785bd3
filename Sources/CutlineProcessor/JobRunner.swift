import CutlineBlocking
public import CutlineContracts
public import CutlineCore
import CutlineMediaEngine
public import CutlineStorage
public import Foundation
public import Logging
public import ServiceLifecycle

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
                // Each clip goes up as soon as it is written, while the render goes on.
                for await clip in finished {
                    let key = "clips/\(request.jobID)/\(clip.index).mp4"
                    try await objects.put(key: key, file: URL(fileURLWithPath: clip.path), contentType: "video/mp4")
                    try? FileManager.default.removeItem(atPath: clip.path)
                    clips.append(ClipRecord(index: clip.index, start: clip.start, duration: clip.duration, text: request.texts[clip.index], key: key, size: clip.bytes))
                    try await jobs.clipUploaded(request, clips: clips)
                    logger.info("clip uploaded", metadata: ["clip": "\(clip.index)", "key": "\(key)", "bytes": "\(clip.bytes)"])
                }
                _ = try await rendering.value
                try Task.checkCancellation()
                try await jobs.complete(request, clips: clips)
                logger.info("job completed", metadata: ["clips": "\(clips.count)"])
            } catch where Task.isCancelled {
                logger.info("job interrupted; it starts again when the processor does", metadata: ["clips_uploaded": "\(clips.count)"])
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
