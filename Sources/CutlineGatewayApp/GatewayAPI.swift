public import CutlineCore
public import CutlineRPC
public import CutlineOutbox
public import CutlineSettings
public import CutlineStorage
import Foundation
public import Hummingbird
import CutlineContracts
import Logging

/// The HTTP API's handlers (the contract is `openapi.yaml`, served at `/api/openapi.yaml`).
public struct GatewayAPI: Sendable {
    let jobs: JobStore
    let objects: any ObjectStore
    let status: any StatusStore
    let settings: GatewayHTTPSettings
    /// The MediaProcessor, for probes and jobs.
    let media: RPCClient
    /// The TextService, for variations of a base text.
    let text: RPCClient
    /// How long upload and download URLs stay valid.
    static let urlLifetime: Duration = .seconds(3600)
    /// Status answers of the latest version of recent jobs, while their URLs have over half their life.
    let answers = StatusAnswers(lifetime: .seconds(1800))
    static let maximumParts = 10_000

    /// A size for people: "5.1 MB", "4.0 GB" (decimal units, as file managers show them).
    static func bytes(_ count: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(count), unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    public init(jobs: JobStore, objects: any ObjectStore, status: any StatusStore, settings: GatewayHTTPSettings, media: RPCClient, text: RPCClient) {
        self.jobs = jobs
        self.objects = objects
        self.status = status
        self.settings = settings
        self.media = media
        self.text = text
    }

    func add(to router: Router<BasicRequestContext>) {
        let api = router.group("api")
        if let token = settings.apiToken { api.add(middleware: TokenMiddleware(token: Array(token.utf8))) }
        api.get("openapi.yaml") { _, _ in
            guard let text = OpenAPIDocument.text else {
                throw APIError(.internalServerError, "internal", "this Gateway was built without its openapi.yaml resource")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        api.post("upload/initiate") { request, _ in try await initiate(request) }
        api.get("upload/{job_id}/parts") { _, context in try await parts(try Self.jobID(context)) }
        api.get("jobs/{job_id}/status") { request, context in try await jobStatus(try Self.jobID(context), request: request) }
        api.get("jobs") { request, _ in try await recentJobs(request) }
        api.post("video/analyze-duration") { request, _ in try await analyze(request) }
        api.delete("jobs/{job_id}") { _, context in try await cancel(try Self.jobID(context), logger: context.logger) }
        api.post("upload/complete") { request, _ in try await complete(request) }
        api.post("text/variations") { request, _ in try await variations(request) }
        api.get("health") { _, _ in try await health() }
        api.get("jobs/{job_id}/preview") { request, context in try await clipPreview(try Self.jobID(context), request: request) }
        api.post("jobs/{job_id}/preview") { request, context in try await customPreview(try Self.jobID(context), request: request) }
    }

    static func jobID(_ context: BasicRequestContext) throws -> JobID {
        let text = context.parameters.get("job_id") ?? ""
        do {
            return try JobID(validating: text)
        } catch {
            throw APIError.badRequest("\"\(text)\" is not a job id (a UUID such as 3f1c2a4e-9b7d-4c55-8a10-2e6f4b1d0c93)")
        }
    }

    // MARK: POST /api/upload/initiate

    struct InitiateRequest: Decodable {
        let filename: String
        let contentType: String
        let size: Int64
    }

    struct UploadTarget: Encodable {
        struct Part: Encodable {
            let number: Int
            let url: String
        }
        let kind: String
        let method: String
        let url: String?
        let partSize: Int64?
        let parts: [Part]?
        let headers: [String: String]
    }

    struct InitiateResponse: Encodable {
        let jobId: String
        let expiresAt: Date
        let upload: UploadTarget
    }

    func initiate(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(InitiateRequest.self, from: request)
        let filename = body.filename.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !filename.isEmpty, filename.count <= 255, !filename.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIError.badRequest("filename must be 1–255 characters without control characters")
        }
        let type = body.contentType.lowercased().trimmingCharacters(in: .whitespaces)
        guard type.hasPrefix("video/"), type.count > 6, type.count <= 100,
              type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/.+-".contains($0)) }) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "content_type \"\(body.contentType)\" is not a video type (video/mp4, video/quicktime, video/webm, …)")
        }
        guard body.size > 0 else { throw APIError.badRequest("size must be the file's size in bytes, more than 0") }
        guard body.size <= settings.maxUploadBytes else {
            throw APIError(.contentTooLarge, "too_large", "the file is \(Self.bytes(body.size)), larger than the \(Self.bytes(settings.maxUploadBytes)) this Cutline accepts (its operator sets CUTLINE_UPLOAD_MAX_BYTES); cut the video shorter or export it smaller")
        }
        let jobID = JobID.make()
        let key = "uploads/\(jobID)/source"
        let now = Date()
        let expiresAt = now.addingTimeInterval(Double(Self.urlLifetime.components.seconds))
        let target: UploadTarget
        var job = JobStore.Job(jobID: jobID, state: .created, filename: filename, contentType: type, size: body.size, sourceKey: key,
                               uploadID: nil, partSize: nil, createdAt: now)
        if body.size >= settings.multipartThreshold {
            let partSize = Self.partSize(for: body.size)
            let uploadID = try await storage { try await objects.createMultipartUpload(key: key, contentType: type) }
            job.uploadID = uploadID
            job.partSize = partSize
            let count = Int((body.size + partSize - 1) / partSize)
            let parts = try (1...count).map { number in
                UploadTarget.Part(number: number, url: try objects.presignedUploadPart(key: key, uploadID: uploadID, partNumber: number, expires: Self.urlLifetime).absoluteString)
            }
            target = UploadTarget(kind: "multipart", method: "PUT", url: nil, partSize: partSize, parts: parts, headers: [:])
        } else {
            let upload = try objects.presignedPut(key: key, contentType: type, contentLength: body.size, expires: Self.urlLifetime)
            target = UploadTarget(kind: "single", method: "PUT", url: upload.url.absoluteString, partSize: nil, parts: nil, headers: upload.headers)
        }
        try await jobs.create(job)
        return try JSONBody.response(InitiateResponse(jobId: jobID.description, expiresAt: expiresAt, upload: target), status: .created)
    }

    /// Parts of at least 16 MiB, larger when needed to stay within S3's 10,000 parts.
    static func partSize(for size: Int64) -> Int64 {
        let minimum: Int64 = 16 << 20
        let needed = (size + Int64(maximumParts) - 1) / Int64(maximumParts)
        let mebibyte: Int64 = 1 << 20
        return max(minimum, (needed + mebibyte - 1) / mebibyte * mebibyte)
    }

    // MARK: GET /api/upload/{job_id}/parts

    struct PartsResponse: Encodable {
        struct Stored: Encodable {
            let number: Int
            let size: Int64
        }
        let jobId: String
        let partSize: Int64
        let partsTotal: Int
        let done: [Stored]
        let parts: [UploadTarget.Part]
        let expiresAt: Date
    }

    func parts(_ jobID: JobID) async throws -> Response {
        guard let job = try await jobs.job(jobID) else { throw APIError.notFound("no job \(jobID)") }
        guard let uploadID = job.uploadID, let partSize = job.partSize else {
            throw APIError.conflict("job \(jobID) is a single upload, not a multipart one: PUT the whole file to its URL")
        }
        guard job.state == .created else { throw APIError.conflict("job \(jobID) is \(job.state.rawValue): its upload is already complete") }
        let stored = try await storage { try await objects.listParts(key: job.sourceKey, uploadID: uploadID) }
        let count = Int((job.size + partSize - 1) / partSize)
        let done = Set(stored.map(\.number))
        let missing = try (1...count).filter { !done.contains($0) }.map { number in
            UploadTarget.Part(number: number, url: try objects.presignedUploadPart(key: job.sourceKey, uploadID: uploadID, partNumber: number, expires: Self.urlLifetime).absoluteString)
        }
        return try JSONBody.response(PartsResponse(
            jobId: jobID.description, partSize: partSize, partsTotal: count,
            done: stored.filter { $0.number <= count }.map { .init(number: $0.number, size: $0.size) }, parts: missing,
            expiresAt: Date().addingTimeInterval(Double(Self.urlLifetime.components.seconds))))
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
        let jobId: String
        let state: String
        let version: Int64
        let progress: Progress
        let clips: [Clip]
        let error: Failure?
        let createdAt: Date?
        let updatedAt: Date
    }

    func jobStatus(_ jobID: JobID, request: Request) async throws -> Response {
        // A poll costs nothing while the job's kept answer is fresh, or while another poll is asking the
        // store; otherwise one version read, and the full record only when the version moved. The kept
        // answer (with its signed clip URLs) is served while the URLs have most of their lifetime left.
        if let kept = answers.recent(jobID) ?? answers.claimRefresh(jobID) {
            return Self.statusAnswer(kept.body, version: kept.version, request)
        }
        defer { answers.refreshed(jobID) }
        let version = try await readStatus { try await status.version(of: jobID) }
        if let version {
            if let body = answers.answer(jobID, version: version) { return Self.statusAnswer(body, version: version, request) }
            if Self.matches(request, "\"v\(version)\"") { return Response(status: .notModified, headers: [.eTag: "\"v\(version)\""]) }
        }
        let record: JobStatusRecord
        if let stored = try await readStatus({ try await status.status(of: jobID) }) {
            record = stored
        } else if let job = try await jobs.job(jobID) {
            // Created here a moment ago; the relay has not delivered its first write yet.
            record = JobStatusRecord(jobID: jobID, version: 0, state: job.state, attempt: 1, progress: nil, clips: [], error: nil,
                                     params: nil, createdAt: job.createdAt, updatedAt: job.createdAt)
        } else {
            throw APIError.notFound("no job \(jobID)")
        }
        let etag = "\"v\(record.version)\""
        if Self.matches(request, etag) { return Response(status: .notModified, headers: [.eTag: etag]) }
        let base = try await jobs.job(jobID).map { ($0.filename as NSString).deletingPathExtension } ?? "clip"
        let clips = try record.clips.sorted { $0.index < $1.index }.map { clip in
            StatusResponse.Clip(index: clip.index, start: clip.start, duration: clip.duration, text: clip.text, size: clip.size,
                                url: try objects.presignedGet(key: clip.key, downloadName: "\(base) - clip \(clip.index + 1).mp4", expires: Self.urlLifetime).absoluteString,
                                thumbnailUrl: try clip.thumbnailKey.map { try objects.presignedGet(key: $0, downloadName: nil, expires: Self.urlLifetime).absoluteString })
        }
        let progress = record.progress ?? JobProgress(clipsDone: 0, clipsTotal: 0)
        let body = StatusResponse(
            jobId: jobID.description, state: record.state.rawValue, version: record.version,
            progress: .init(clipsDone: progress.clipsDone, clipsTotal: progress.clipsTotal, framesDone: progress.framesDone, framesTotal: progress.framesTotal),
            clips: clips, error: record.error.map { .init(code: $0.code, message: $0.message) }, createdAt: record.createdAt, updatedAt: record.updatedAt)
        let encoded = ByteBuffer(bytes: try JSONBody.encoder.encode(body))
        if record.version > 0 { answers.keep(jobID, version: record.version, body: encoded) }
        return Self.statusResponse(encoded, etag: etag)
    }

    static func matches(_ request: Request, _ etag: String) -> Bool {
        guard let match = request.headers[.ifNoneMatch] else { return false }
        return match.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag }
    }

    /// A kept answer for this request: 304 when the browser has this version already.
    static func statusAnswer(_ body: ByteBuffer, version: Int64, _ request: Request) -> Response {
        let etag = "\"v\(version)\""
        return matches(request, etag) ? Response(status: .notModified, headers: [.eTag: etag]) : statusResponse(body, etag: etag)
    }

    static func statusResponse(_ body: ByteBuffer, etag: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .eTag: etag, .cacheControl: "no-cache"],
                 body: .init(byteBuffer: body))
    }

    /// Reads the status store; a store that cannot be reached is a 503 (nothing is lost: every write
    /// waits in an outbox, but there is nothing true to answer yet), a corrupt record a 500 naming it.
    func readStatus<T>(_ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch let error as StatusRecordError {
            throw APIError(.internalServerError, "status_corrupt", "\(error)")
        } catch {
            throw APIError(.serviceUnavailable, "status_unavailable", "the job status store cannot be reached (\(error)); try again shortly")
        }
    }

    // MARK: DELETE /api/jobs/{job_id}

    struct CancelAnswer: Encodable {
        let jobId: String
        let state: String
    }

    func cancel(_ jobID: JobID, logger: Logger) async throws -> Response {
        guard let job = try await jobs.job(jobID) else { throw APIError.notFound("no job \(jobID)") }
        let state = try await status.status(of: jobID)?.state ?? job.state
        guard !state.isTerminal else { throw APIError.conflict("job \(jobID) is \(state.rawValue) already; there is nothing to cancel") }
        try await jobs.cancel(jobID, attempt: job.attempt)
        answers.forget(jobID)
        do {
            _ = try await media.call(MediaContract.cancel, CancelRequest(jobID: jobID), timeout: .seconds(5))
        } catch {
            // CANCELLED stands either way: whatever the processor reports later is an older version.
            logger.warning("the MediaProcessor did not hear the cancel", metadata: ["job_id": "\(jobID)", "error": "\(error)"])
        }
        return try JSONBody.response(CancelAnswer(jobId: jobID.description, state: JobState.cancelled.rawValue), status: .accepted)
    }

    // MARK: GET /api/jobs?limit=N

    struct RecentResponse: Encodable {
        struct Job: Encodable {
            let jobId: String
            let filename: String
            let size: Int64
            let state: String
            let createdAt: Date
        }
        let jobs: [Job]
    }

    func recentJobs(_ request: Request) async throws -> Response {
        let limitText = request.uri.queryParameters.get("limit") ?? "20"
        guard let limit = Int(limitText), (1...100).contains(limit) else { throw APIError.badRequest("limit must be a whole number from 1 to 100, not \"\(limitText)\"") }
        var listed: [RecentResponse.Job] = []
        for job in try await jobs.recent(limit: limit) {
            let state = try await status.status(of: job.jobID)?.state ?? job.state
            listed.append(.init(jobId: job.jobID.description, filename: job.filename, size: job.size, state: state.rawValue, createdAt: job.createdAt))
        }
        return try JSONBody.response(RecentResponse(jobs: listed))
    }

    // MARK: Storage failures

    /// A storage failure the person cannot fix is the Gateway's 502/503 with the store's words.
    func storage<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            switch error.code {
            case .unavailable: throw APIError(.serviceUnavailable, "storage_unavailable", "the object store cannot be reached: \(error.message); try again shortly")
            case .noSuchUpload: throw APIError.conflict("the upload is no longer open (\(error.message)); start a new one")
            default: throw APIError(.badGateway, "storage_failed", "the object store refused: \(error)")
            }
        }
    }
}
