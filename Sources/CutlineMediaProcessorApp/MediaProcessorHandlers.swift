import CutlineBlocking
import CutlineContracts
import CutlineCore
import CutlineJobStore
import CutlineMediaEngine
import CutlineRPC
import CutlineStorage
import CutlineTracing
import CutlineWire
import Foundation
import Logging

/// The processor's RPC methods: probe an upload, accept a job.
struct MediaProcessorHandlers: Sendable {
    let jobs: MediaProcessorJobs
    let objects: any ObjectStore
    let runner: JobRunner
    /// Set when this processor takes its jobs from a shared queue (named here), not by `media.submit`.
    var sharedQueue: String? = nil

    func register(_ router: inout RPCRouter) {
        router.register(MediaContract.probe) { request, context in try await probe(request, context) }
        router.register(MediaContract.submit) { request, context in try await submit(request, context) }
        router.register(MediaContract.cancel) { request, context in try await cancel(request, context) }
        router.register(MediaContract.preflight) { request, context in try await preflight(request, context) }
        router.register(MediaContract.preview) { request, context in try await preview(request, context) }
    }

    func preview(_ request: MediaPreviewRequest, _ context: RPCContext) async throws -> MediaPreviewResponse {
        try await JobContext.$jobID.withValue(request.jobID) {
            guard request.seconds.isFinite, request.seconds >= 0 else {
                throw RPCError.badRequest("the moment is 0 s or later, not \(request.seconds)")
            }
            try Self.check(request.style, texts: [request.text])
            if let width = request.maxWidth, !(16...4096).contains(width) { throw RPCError.badRequest("max_width is 16 to 4096, not \(width)") }
            guard request.sourceKey == ObjectKeys.source(request.jobID) else {
                throw RPCError.badRequest("the source of job \(request.jobID) is \(ObjectKeys.source(request.jobID))")
            }
            let url = try await readableURL(of: request.sourceKey)
            var preview = PreviewRequest(
                source: url.absoluteString, seconds: request.seconds, text: request.text, style: request.style, maxWidth: request.maxWidth)
            if let platform = request.platform { preview.target(platform) }
            if let shape = request.shape { preview.shape = shape }
            let started = ContinuousClock.now
            let made = preview
            do {
                let jpeg = try await interruptible(context) { interrupt in try Preview.jpeg(made, interrupt: interrupt) }
                context.logger.info(
                    "preview made", metadata: ["at": "\(request.seconds)", "bytes": "\(jpeg.count)", "elapsed": "\(ContinuousClock.now - started)"])
                return MediaPreviewResponse(jpeg: jpeg)
            } catch let error as MediaError {
                throw Self.rpcError(error)
            }
        }
    }

    func preflight(_ request: PreflightRequest, _ context: RPCContext) async throws -> PreflightResponse {
        guard (1...Int(StatusVersion.maximumClips)).contains(request.texts.count) else {
            throw RPCError.badRequest("1 to \(StatusVersion.maximumClips) texts, not \(request.texts.count)")
        }
        guard (16...16_384).contains(request.width), (16...16_384).contains(request.height) else {
            throw RPCError.badRequest("a frame of 16 to 16384 pixels each way, not \(request.width)×\(request.height)")
        }
        try Self.check(request.style, texts: request.texts)
        // Each distinct text is measured once (a single text on every clip is one measurement).
        let distinct = Array(Set(request.texts))
        let shape = request.shape ?? request.platform?.shape ?? OutputShape()
        let size = shape.size(sourceWidth: request.width & ~1, sourceHeight: request.height & ~1)
        let family = request.style.fontFamily
        let (reports, fontInstalled) = try await BlockingExecutor.shared.run { _ in
            (
                TextPreflight.check(
                    texts: distinct, style: request.style, width: size.width, height: size.height, safeArea: request.platform?.safeArea),
                FontCatalog.families().contains { $0.caseInsensitiveCompare(family) == .orderedSame }
            )
        }
        let byText = Dictionary(uniqueKeysWithValues: zip(distinct, reports))
        return PreflightResponse(
            texts: request.texts.map { text in
                let report = byText[text]!
                return PreflightResponse.Text(lines: report.lines, fits: report.fits, missing: report.missingCharacters.map { String($0) })
            }, fontInstalled: fontInstalled)
    }

    /// A signed URL the media engine reads an upload through: not found when it is not stored (yet),
    /// unavailable when the store cannot be asked.
    private func readableURL(of key: String) async throws -> URL {
        do {
            guard try await objects.head(key: key) != nil else {
                throw RPCError.notFound("\(key) is not in storage: the upload has not finished (or was never made)")
            }
            return try objects.presignedGet(key: key, downloadName: nil, expires: .seconds(600))
        } catch let error as StorageError {
            throw RPCError.unavailable("the object store: \(error)")
        }
    }

    func probe(_ request: ProbeRequest, _ context: RPCContext) async throws -> ProbeSummary {
        try await JobContext.$jobID.withValue(request.jobID) {
            let url = try await readableURL(of: request.sourceKey)
            do {
                let info = try await interruptible(context) { interrupt in try MediaProbe.probe(url.absoluteString, interrupt: interrupt) }
                context.logger.info("probed", metadata: ["duration": "\(info.duration)", "size": "\(info.video.width)x\(info.video.height)"])
                return ProbeSummary(
                    duration: info.duration, frameRate: info.video.frameRate, width: info.video.width, height: info.video.height,
                    hasAudio: info.audio != nil, videoCodec: info.video.codec, rotation: info.video.rotation)
            } catch let error as MediaError {
                context.logger.info("probe refused", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.operation): \(error.message)"])
                throw Self.rpcError(error)
            }
        }
    }

    /// Runs blocking media work on the shared pool with its reads stopped at the call's deadline and
    /// when the call is cancelled, so a source that stalls never keeps a pool thread past its caller.
    private func interruptible<T: Sendable>(_ context: RPCContext, _ body: @escaping @Sendable (MediaInterrupt) throws -> T) async throws -> T {
        let interrupt = MediaInterrupt(deadline: context.deadline)
        return try await withTaskCancellationHandler {
            try await BlockingExecutor.shared.run { _ in try body(interrupt) }
        } onCancel: {
            interrupt.cancel()
        }
    }

    /// A style and texts inside the limits every door checks (`OverlayStyle`'s), whoever the caller is.
    /// What every job must be before it is accepted, whether it came by call or from the shared queue.
    static func check(_ request: SubmitRequest) throws {
        guard (1...SegmentPlan.defaultMaxSegments).contains(request.plan.count) else {
            throw RPCError.badRequest("a job has 1 to \(SegmentPlan.defaultMaxSegments) clips, not \(request.plan.count)")
        }
        guard request.texts.count == request.plan.count else {
            throw RPCError.badRequest("the job has \(request.plan.count) clips but \(request.texts.count) texts")
        }
        guard request.attempt >= 1, request.sourceKey == ObjectKeys.source(request.jobID) else {
            throw RPCError.badRequest("the source of job \(request.jobID) is \(ObjectKeys.source(request.jobID)) (attempt ≥ 1)")
        }
        try check(request.style, texts: request.texts)
    }

    static func check(_ style: OverlayStyle, texts: [String]) throws {
        if let (field, value) = style.outOfLimits() {
            throw RPCError.badRequest("style.\(field.rawValue) is \(field.limit.rule), not \(value)")
        }
        guard OverlayStyle.isFontFamilyName(style.fontFamily) else {
            throw RPCError.badRequest("style.font is a font family name of 1 to 100 characters")
        }
        for (index, text) in texts.enumerated() {
            if let problem = OverlayStyle.textProblem(text) { throw RPCError.badRequest("text \(index + 1): \(problem)") }
        }
    }

    /// The one mapping of a media failure to the caller: what the upload is (its person can act on the
    /// message; `detail` names the case), or storage that could not be read (worth a retry).
    static func rpcError(_ error: MediaError) -> RPCError {
        switch error.code {
        case .unreadable:
            // The object is there (checked before) but could not be read: storage or the network.
            .unavailable("the upload could not be read from storage (\(error.operation): \(error.message))")
        case .timedOut:
            .unavailable("the upload could not be read from storage in time (\(error.message))", detail: error.code.rawValue)
        case .cancelled:
            .cancelled(error.message)
        case .invalidRequest:
            .badRequest(error.message)
        case .notMedia, .unsupportedFormat, .tooLarge, .noVideoStream, .corrupt, .unsupportedCodec, .ffmpeg:
            .badRequest(error.jobFailure.message, detail: error.code.rawValue)
        }
    }

    func cancel(_ request: CancelRequest, _ context: RPCContext) async throws -> CancelResponse {
        try await JobContext.$jobID.withValue(request.jobID) {
            let stopped = try await jobs.cancel(request.jobID)
            if stopped { runner.stop(request.jobID) }
            context.logger.info(stopped ? "job cancelled" : "cancel of a job not waiting or running")
            return CancelResponse(jobID: request.jobID, stopped: stopped)
        }
    }

    func submit(_ request: SubmitRequest, _ context: RPCContext) async throws -> SubmitResponse {
        try await JobContext.$jobID.withValue(request.jobID) {
            if let sharedQueue {
                // A job accepted here would never run: this processor renders what the queue gives it.
                throw RPCError.badRequest(
                    "this MediaProcessor takes its jobs from the queue \(sharedQueue); set CUTLINE_SQS_QUEUE_URL on the Gateway as well")
            }
            try Self.check(request)
            // The render starts later, from the table: it joins the trace of this call.
            let accepted = try await jobs.accept(request, traceparent: TraceHeaders.currentTraceparent)
            context.logger.info(accepted ? "job accepted" : "job already accepted", metadata: ["clips": "\(request.plan.count)"])
            return SubmitResponse(jobID: request.jobID, accepted: accepted)
        }
    }
}
