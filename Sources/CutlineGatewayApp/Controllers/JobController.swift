import CutlineContracts
import CutlineCore
import CutlineHTTP
import CutlineJobFlow
import CutlineJobStore
import CutlineOutbox
import Foundation
import Hummingbird
import NIOCore

/// A job's life over HTTP: analysed (`POST /api/video/analyze-duration`), started
/// (`POST /api/upload/complete`), polled (`GET /api/jobs/{job_id}/status`), listed (`GET /api/jobs`),
/// exported for editors (`GET /api/jobs/{job_id}/export?format=edl|otio`) and cancelled
/// (`DELETE /api/jobs/{job_id}`). The steps are `JobFlow`'s; this is their HTTP shape.
struct JobController {
    let flow: JobFlow
    let answers: StatusAnswers

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post("video/analyze-duration", use: analyze)
        routes.post("upload/complete", use: complete)
        routes.get("jobs/{job_id}/status", use: status)
        routes.get("jobs/{job_id}/export", use: export)
        routes.get("jobs", use: recent)
        routes.delete("jobs/{job_id}", use: cancel)
        return routes
    }

    /// What analyze and complete take: the job and the person's choices.
    struct JobRequest: Decodable {
        let jobId: String
        let cutting: CuttingChoice
        let text: TextChoice?
        let style: StyleChoice?
        let output: OutputChoice?
        let platform: String?

        var choices: JobFlow.Choices { .init(cutting: cutting, text: text, style: style, output: output, platform: platform) }
    }

    struct AnalyzeResponse: ResponseEncodable {
        struct Segment: Encodable {
            let index: Int
            let start: Double
            let duration: Double
        }
        struct Source: Encodable {
            let width: Int
            let height: Int
            let fps: Double
            let hasAudio: Bool
            let videoCodec: String
        }
        /// The clips' frame, and the part of it a platform's interface leaves clear (fractions of it).
        struct Frame: Encodable {
            let width: Int
            let height: Int
            let safeArea: SafeArea?
        }
        let jobId: String
        let duration: Double
        let count: Int
        let seed: UInt64?
        let segments: [Segment]
        let warnings: [JobWarning]
        let source: Source
        let output: Frame
    }

    @Sendable func analyze(_ request: Request, context: APIRequestContext) async throws -> AnalyzeResponse {
        let body = try await request.decode(as: JobRequest.self, context: context)
        let analysis = try await flow.analyze(try jobID(body.jobId), body.choices)
        let probe = analysis.probe
        let size = analysis.look.size(probe)
        return AnalyzeResponse(
            jobId: analysis.job.jobID.description, duration: probe.duration, count: analysis.plan.count, seed: analysis.seed,
            segments: analysis.plan.segments.map { .init(index: $0.index, start: $0.start, duration: $0.duration) }, warnings: analysis.warnings,
            source: .init(
                width: probe.width, height: probe.height, fps: probe.frameRate.framesPerSecond, hasAudio: probe.hasAudio,
                videoCodec: probe.videoCodec),
            output: .init(width: size.width, height: size.height, safeArea: analysis.look.platform?.safeArea))
    }

    struct StateAnswer: ResponseEncodable {
        let jobId: String
        let state: String
        /// Set by a purge: the job's files are gone.
        var filesDeleted: Bool? = nil
    }

    @Sendable func complete(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<StateAnswer> {
        let body = try await request.decode(as: JobRequest.self, context: context)
        let id = try jobID(body.jobId)
        guard body.text != nil else { throw APIError.badRequest("the body is not a valid request: text is missing") }
        try await flow.start(id, body.choices)
        return EditedResponse(status: .accepted, response: StateAnswer(jobId: id.description, state: JobState.queued.rawValue))
    }

    /// The started job's cut list as a download: `?format=edl` (CMX 3600) or `otio` (OpenTimelineIO).
    @Sendable func export(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = try context.jobID()
        guard let format = request.uri.queryParameters.get("format") else {
            throw APIError.badRequest("format is missing: ?format=edl or ?format=otio")
        }
        let exported = try await flow.export(id, format: format)
        return Response(
            status: .ok,
            headers: [
                .contentType: exported.format.contentType, .contentDisposition: ContentDisposition.attachment(exported.filename),
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: exported.body)))
    }

    /// Cancels the job; with `?purge=true` also deletes its source, clips and thumbnails (a job that has
    /// ended is purged as it is).
    @Sendable func cancel(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<StateAnswer> {
        let id = try context.jobID()
        let purgeText = request.uri.queryParameters.get("purge") ?? "false"
        guard let purge = Bool(purgeText) else { throw APIError.badRequest("purge must be true or false, not \"\(purgeText.prefix(20))\"") }
        guard purge else {
            try await flow.cancel(id, logger: context.logger)
            return EditedResponse(status: .accepted, response: StateAnswer(jobId: id.description, state: JobState.cancelled.rawValue))
        }
        let state = try await flow.purge(id, logger: context.logger)
        return EditedResponse(status: .accepted, response: StateAnswer(jobId: id.description, state: state.rawValue, filesDeleted: true))
    }

    struct RecentResponse: ResponseEncodable {
        struct Job: Encodable {
            let jobId: String
            let filename: String
            let size: Int64
            let state: String
            let createdAt: Date
        }
        let jobs: [Job]
    }

    @Sendable func recent(_ request: Request, context: APIRequestContext) async throws -> RecentResponse {
        let limitText = request.uri.queryParameters.get("limit") ?? "20"
        guard let limit = Int(limitText), (1...100).contains(limit) else {
            throw APIError.badRequest("limit must be a whole number from 1 to 100, not \"\(limitText)\"")
        }
        return RecentResponse(
            jobs: try await flow.recent(limit: limit).map { job, state in
                .init(jobId: job.jobID.description, filename: job.filename, size: job.size, state: state.rawValue, createdAt: job.createdAt)
            })
    }

    // MARK: GET /api/jobs/{job_id}/status

    struct StatusResponse: Encodable {
        struct Progress: Encodable {
            let clipsDone: Int64
            let clipsTotal: Int64
            let framesDone: Int64
            let framesTotal: Int64
        }
        struct Clip: Encodable {
            let index: Int
            let start: Double
            let duration: Double
            let text: String
            let size: Int64
            let url: String
            /// A JPEG of a frame half a second in, overlay included (absent for clips made without one).
            let thumbnailUrl: String?
        }
        struct Failure: Encodable {
            let code: String
            let message: String
        }
        /// One task of a job split over processors.
        struct Part: Encodable {
            let firstClip: Int
            let clipCount: Int
            let state: String
            let clipsDone: Int64
            let processor: String?
        }
        let jobId: String
        let state: String
        let version: Int64
        let progress: Progress
        let clips: [Clip]
        let error: Failure?
        let tasks: [Part]?
        let createdAt: Date?
        let updatedAt: Date
        /// When the job's source, clips and thumbnails were deleted (purged, or past CUTLINE_RETENTION).
        let filesDeletedAt: Date?
    }

    @Sendable func status(_ request: Request, context: APIRequestContext) async throws -> Response {
        let jobID = try context.jobID()
        // A poll costs nothing while the job's kept answer is fresh, or while another poll is asking the
        // store; otherwise one version read, and the full record only when the version moved. The kept
        // answer (with its signed clip URLs) is served while the URLs have most of their lifetime left.
        // The window is taken before any URL is signed: the answer's URLs are at least that new.
        let window = answers.window()
        if let kept = answers.recent(jobID) ?? answers.claimRefresh(jobID) {
            return Self.statusAnswer(kept.body, etag: Self.etag(kept.version, window), request)
        }
        defer { answers.refreshed(jobID) }
        // A job whose files were deleted lists no clips, and its answers are not kept (their tag differs).
        let job = try await flow.knownJob(jobID)
        let filesDeletedAt = job?.filesDeletedAt
        if let version = try await flow.readStatus({ try await flow.status.version(of: jobID) }) {
            let etag = Self.etag(version, window, filesDeleted: filesDeletedAt != nil)
            if filesDeletedAt == nil, let body = answers.answer(jobID, version: version) { return Self.statusAnswer(body, etag: etag, request) }
            if Self.matches(request, etag) { return Response(status: .notModified, headers: [.eTag: etag]) }
        }
        let record = try await flow.statusRecord(jobID)
        let etag = Self.etag(record.version, window, filesDeleted: filesDeletedAt != nil)
        if Self.matches(request, etag) { return Response(status: .notModified, headers: [.eTag: etag]) }
        let filename = job?.filename
        let texts = job?.submitted?.texts ?? []
        let listed = filesDeletedAt == nil ? record.clips : []
        let clips = try listed.sorted { $0.index < $1.index }.map { clip in
            StatusResponse.Clip(
                // The texts are the job's (the status record does not keep them).
                index: clip.index, start: clip.start, duration: clip.duration,
                text: texts.indices.contains(clip.index) ? texts[clip.index] : clip.text, size: clip.size,
                url: try flow.downloadURL(clip, filename: filename).absoluteString,
                thumbnailUrl: try flow.thumbnailURL(clip)?.absoluteString)
        }
        let progress = record.progress ?? JobProgress(clipsDone: 0, clipsTotal: 0)
        let body = StatusResponse(
            jobId: jobID.description, state: record.state.rawValue, version: record.version,
            progress: .init(
                clipsDone: progress.clipsDone, clipsTotal: progress.clipsTotal, framesDone: progress.framesDone, framesTotal: progress.framesTotal),
            clips: clips, error: record.error.map { .init(code: $0.code, message: $0.message) },
            tasks: record.tasks.isEmpty
                ? nil
                : record.tasks.map {
                    .init(
                        firstClip: $0.firstClip, clipCount: $0.clipCount, state: $0.state.rawValue, clipsDone: $0.clipsDone, processor: $0.processor)
                },
            createdAt: record.createdAt,
            updatedAt: record.updatedAt, filesDeletedAt: filesDeletedAt)
        let encoded = ByteBuffer(bytes: try APIJSON.encoder.encode(body))
        if record.version > 0, filesDeletedAt == nil { answers.keep(jobID, version: record.version, body: encoded, window: window) }
        return Self.statusResponse(encoded, etag: etag)
    }

    /// The version and the window the answer's URLs were signed in (`StatusAnswers.window`): a browser
    /// holding an answer from an earlier window gets a new one, with URLs that have not expired.
    static func etag(_ version: Int64, _ window: Int64, filesDeleted: Bool = false) -> String {
        "\"v\(version).\(window)\(filesDeleted ? ".deleted" : "")\""
    }

    static func matches(_ request: Request, _ etag: String) -> Bool {
        guard let match = request.headers[.ifNoneMatch] else { return false }
        return match.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag }
    }

    /// A kept answer for this request: 304 when the browser has this version already.
    static func statusAnswer(_ body: ByteBuffer, etag: String, _ request: Request) -> Response {
        matches(request, etag) ? Response(status: .notModified, headers: [.eTag: etag]) : statusResponse(body, etag: etag)
    }

    static func statusResponse(_ body: ByteBuffer, etag: String) -> Response {
        APIJSON.response(body, headers: [.eTag: etag, .cacheControl: "no-cache"])
    }
}
