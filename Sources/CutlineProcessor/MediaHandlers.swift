import CutlineBlocking
import CutlineContracts
import CutlineCore
import CutlineMediaEngine
import CutlineRPC
import CutlineStorage
import CutlineWire
import Foundation
import Logging

/// The processor's RPC methods: probe an upload, accept a job.
struct MediaHandlers: Sendable {
    let jobs: ProcessorJobs
    let objects: any ObjectStore
    let runner: JobRunner

    func register(_ router: inout RPCRouter) {
        router.register(MediaContract.probe) { request, context in try await probe(request, context) }
        router.register(MediaContract.submit) { request, context in try await submit(request, context) }
        router.register(MediaContract.cancel) { request, context in try await cancel(request, context) }
        router.register(MediaContract.preflight) { request, context in try await preflight(request, context) }
    }

    func preflight(_ request: PreflightRequest, _ context: RPCContext) async throws -> PreflightResponse {
        guard (1...Int(StatusVersion.maximumClips)).contains(request.texts.count) else {
            throw RPCError.badRequest("1 to \(StatusVersion.maximumClips) texts, not \(request.texts.count)")
        }
        guard (16...16_384).contains(request.width), (16...16_384).contains(request.height) else {
            throw RPCError.badRequest("a frame of 16 to 16384 pixels each way, not \(request.width)×\(request.height)")
        }
        // Each distinct text is measured once (a single text on every clip is one measurement).
        let distinct = Array(Set(request.texts))
        let reports = try await BlockingExecutor.shared.run { _ in
            TextPreflight.check(texts: distinct, style: request.style, width: request.width, height: request.height)
        }
        let byText = Dictionary(uniqueKeysWithValues: zip(distinct, reports))
        return PreflightResponse(texts: request.texts.map { text in
            let report = byText[text]!
            return PreflightResponse.Text(lines: report.lines, fits: report.fits, missing: report.missingCharacters.map { String($0) })
        })
    }

    func probe(_ request: ProbeRequest, _ context: RPCContext) async throws -> ProbeSummary {
        try await JobContext.$jobID.withValue(request.jobID) {
            let url: URL
            do {
                guard try await objects.head(key: request.sourceKey) != nil else {
                    throw RPCError.notFound("\(request.sourceKey) is not in storage: the upload has not finished (or was never made)")
                }
                url = try objects.presignedGet(key: request.sourceKey, downloadName: nil, expires: .seconds(600))
            } catch let error as StorageError {
                throw RPCError.unavailable("the object store: \(error)")
            }
            do {
                let info = try await BlockingExecutor.shared.run { _ in try MediaProbe.probe(url.absoluteString) }
                context.logger.info("probed", metadata: ["duration": "\(info.duration)", "size": "\(info.video.width)x\(info.video.height)"])
                return ProbeSummary(duration: info.duration, frameRate: info.video.frameRate, width: info.video.width, height: info.video.height,
                                    hasAudio: info.audio != nil, videoCodec: info.video.codec, rotation: info.video.rotation)
            } catch let error as MediaError where error.code == .unreadable {
                // The object is there (checked above) but could not be read: storage or the network.
                throw RPCError.unavailable("the upload could not be read from storage (\(error.operation): \(error.message))")
            } catch let error as MediaError {
                // The source is not something to cut: the caller's input, worded for its person.
                throw RPCError.badRequest(error.jobFailure.message)
            }
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
            guard (1...SegmentPlan.defaultMaxSegments).contains(request.plan.count) else {
                throw RPCError.badRequest("a job has 1 to \(SegmentPlan.defaultMaxSegments) clips, not \(request.plan.count)")
            }
            guard request.texts.count == request.plan.count else {
                throw RPCError.badRequest("the job has \(request.plan.count) clips but \(request.texts.count) texts")
            }
            guard request.attempt >= 1, request.sourceKey == "uploads/\(request.jobID)/source" else {
                throw RPCError.badRequest("the source of job \(request.jobID) is uploads/\(request.jobID)/source (attempt ≥ 1)")
            }
            let accepted = try await jobs.accept(request)
            context.logger.info(accepted ? "job accepted" : "job already accepted", metadata: ["clips": "\(request.plan.count)"])
            return SubmitResponse(jobID: request.jobID, accepted: accepted)
        }
    }
}
