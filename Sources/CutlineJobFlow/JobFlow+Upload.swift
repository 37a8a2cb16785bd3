public import CutlineContracts
public import CutlineCore
public import CutlineJobStore
public import CutlineStorage
public import Foundation

/// A job from its upload to its probe: CREATED with the upload's URLs, the upload finished, UPLOADED once
/// the MediaProcessor has probed it.
extension JobFlow {
    /// Where the browser sends the file: one signed PUT, or one per part.
    public enum UploadTarget: Sendable {
        case single(url: URL, headers: [String: String])
        case multipart(partSize: Int64, parts: [(number: Int, url: URL)])
    }

    public struct Initiated: Sendable {
        public let job: GatewayJob
        public let target: UploadTarget
        public let expiresAt: Date
    }

    /// Checks what the browser says it will upload, records the job (CREATED) and signs its upload.
    public func initiate(filename given: String, contentType: String, size: Int64) async throws(JobFlowError) -> Initiated {
        let filename = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !filename.isEmpty, filename.count <= 255, !filename.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badRequest("filename must be 1–255 characters without control characters")
        }
        let type = contentType.lowercased().trimmingCharacters(in: .whitespaces)
        guard type.hasPrefix("video/"), type.count > 6, type.count <= 100,
            type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/.+-".contains($0)) })
        else {
            throw JobFlowError(
                .unsupportedMediaType, "unsupported_media_type",
                "content_type \"\(contentType)\" is not a video type (video/mp4, video/quicktime, video/webm, …)")
        }
        guard size > 0 else { throw .badRequest("size must be the file's size in bytes, more than 0") }
        guard size <= limits.maxUploadBytes else {
            throw JobFlowError(
                .tooLarge, "too_large",
                "the file is \(Self.bytes(size)), larger than the \(Self.bytes(limits.maxUploadBytes)) this Cutline accepts (its operator sets CUTLINE_UPLOAD_MAX_BYTES); cut the video shorter or export it smaller"
            )
        }
        let jobID = JobID.make()
        let key = ObjectKeys.source(jobID)
        let now = Date()
        var job = GatewayJob(jobID: jobID, state: .created, filename: filename, contentType: type, size: size, sourceKey: key, createdAt: now)
        let target: UploadTarget
        if size >= limits.multipartThreshold {
            let partSize = Self.partSize(for: size)
            let uploadID = try await storage { try await objects.createMultipartUpload(key: key, contentType: type) }
            job.uploadID = uploadID
            job.partSize = partSize
            target = .multipart(partSize: partSize, parts: try signedParts(of: job, numbers: Array(1...(job.partCount ?? 1))))
        } else {
            let upload = try signed { try objects.presignedPut(key: key, contentType: type, contentLength: size, expires: Self.urlLifetime) }
            target = .single(url: upload.url, headers: upload.headers)
        }
        try await stored { try await jobs.create(job) }
        return Initiated(job: job, target: target, expiresAt: now.addingTimeInterval(Double(Self.urlLifetime.components.seconds)))
    }

    public struct PartsLeft: Sendable {
        public let job: GatewayJob
        public let partSize: Int64
        public let partsTotal: Int
        public let done: [UploadedPart]
        public let missing: [(number: Int, url: URL)]
        public let expiresAt: Date
    }

    /// A multipart upload's parts stored so far, and fresh URLs for the rest (to resume an upload).
    public func partsLeft(_ jobID: JobID) async throws(JobFlowError) -> PartsLeft {
        let job = try await job(jobID)
        guard let uploadID = job.uploadID, let partSize = job.partSize, let total = job.partCount else {
            throw .conflict("job \(jobID) is a single upload, not a multipart one: PUT the whole file to its URL")
        }
        guard job.state == .created else { throw .conflict("job \(jobID) is \(job.state.rawValue): its upload is already complete") }
        let stored = try await storage { try await objects.listParts(key: job.sourceKey, uploadID: uploadID) }
        let done = Set(stored.map(\.number))
        return PartsLeft(
            job: job, partSize: partSize, partsTotal: total, done: stored.filter { $0.number <= total },
            missing: try signedParts(of: job, numbers: (1...total).filter { !done.contains($0) }),
            expiresAt: Date().addingTimeInterval(Double(Self.urlLifetime.components.seconds)))
    }

    func signedParts(of job: GatewayJob, numbers: [Int]) throws(JobFlowError) -> [(number: Int, url: URL)] {
        guard let uploadID = job.uploadID, let partSize = job.partSize, let total = job.partCount else { return [] }
        return try signed {
            try numbers.map { number in
                // Each part's length is signed: the plan's part size, the last part the remainder.
                let length = number < total ? partSize : job.size - partSize * Int64(total - 1)
                let url = try objects.presignedUploadPart(
                    key: job.sourceKey, uploadID: uploadID, partNumber: number, contentLength: length, expires: Self.urlLifetime)
                return (number, url)
            }
        }
    }

    /// Joins a multipart upload's parts once they are all stored; a single upload must just be there.
    public func finishUpload(_ job: GatewayJob) async throws(JobFlowError) {
        if try await storage({ try await objects.head(key: job.sourceKey) }) != nil { return }
        guard let uploadID = job.uploadID, let total = job.partCount else {
            throw .conflict("the upload of job \(job.jobID) has not arrived: PUT the file to the URL from /api/upload/initiate first")
        }
        let parts = try await storage { try await objects.listParts(key: job.sourceKey, uploadID: uploadID) }
        guard parts.map(\.number) == Array(1...total) else {
            throw .conflict(
                "the upload of job \(job.jobID) has \(parts.count) of its \(total) parts; send the rest (GET /api/upload/\(job.jobID)/parts)")
        }
        let stored = parts.map(\.size).reduce(0, +)
        guard stored == job.size else {
            throw .conflict("the parts of job \(job.jobID) hold \(stored) bytes, not the \(job.size) announced; send the wrong parts again")
        }
        try await storage { try await objects.completeMultipartUpload(key: job.sourceKey, uploadID: uploadID, parts: parts) }
    }

    /// The job and its source's probe. The first time: the upload finished, probed once by the
    /// MediaProcessor straight from storage, and UPLOADED recorded with the probe.
    public func probed(_ jobID: JobID) async throws(JobFlowError) -> (GatewayJob, ProbeSummary) {
        let job = try await job(jobID)
        if let probe = job.probe { return (job, probe) }
        try await finishUpload(job)
        let probe = try await call(
            media, MediaContract.probe, ProbeRequest(jobID: jobID, sourceKey: job.sourceKey), timeout: .seconds(30),
            during: .probe)
        try await stored { try await jobs.uploaded(jobID, probe: probe) }
        changed(jobID)
        return (job, probe)
    }

    static let maximumParts = 10_000

    /// Parts of at least 16 MiB, larger when needed to stay within S3's 10,000 parts.
    public static func partSize(for size: Int64) -> Int64 {
        let minimum: Int64 = 16 << 20
        let needed = (size + Int64(maximumParts) - 1) / Int64(maximumParts)
        let mebibyte: Int64 = 1 << 20
        return max(minimum, (needed + mebibyte - 1) / mebibyte * mebibyte)
    }

    /// A size for people: "5.1 MB", "4.0 GB" (decimal units, as file managers show them).
    public static func bytes(_ count: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
