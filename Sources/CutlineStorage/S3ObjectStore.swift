public import CutlineCore
public import CutlineS3
public import Foundation

/// The object store on S3 or any S3 API (SeaweedFS, MinIO): the `S3Client` of one bucket.
public struct S3ObjectStore: ObjectStore {
    public let client: S3Client

    public init(client: S3Client) {
        self.client = client
    }

    public var location: String { "s3://\(client.bucket) (\(client.endpoint.absoluteString))" }

    public func put(key: String, file: URL, contentType: String) async throws {
        try await mapped(key) { _ = try await client.putObject(key: key, file: file.path, contentType: contentType) }
    }

    public func put(key: String, bytes: [UInt8], contentType: String) async throws {
        try await mapped(key) { try await client.putObject(key: key, bytes: bytes, contentType: contentType) }
    }

    public func get(key: String, range: ByteRange?, to file: URL) async throws {
        try await mapped(key) { try await client.getObject(key: key, to: file.path, range: range?.description) }
    }

    public func get(key: String, range: ByteRange?) async throws -> [UInt8] {
        try await mapped(key) { try await client.getObject(key: key, range: range?.description) }
    }

    public func head(key: String) async throws -> ObjectInfo? {
        try await mapped(key) {
            try await client.headObject(key: key).map { ObjectInfo(key: key, size: $0.size, contentType: $0.contentType) }
        }
    }

    public func delete(key: String) async throws {
        try await mapped(key) { try await client.deleteObject(key: key) }
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        try await mapped(nil) {
            try await client.listObjects(prefix: prefix).map { ObjectInfo(key: $0.key, size: $0.size, contentType: $0.contentType) }
        }
    }

    public func presignedPut(key: String, contentType: String, contentLength: Int64?, expires: Duration) throws -> PresignedUpload {
        try mappedSync(key) {
            // Content-Length is signed too: S3 refuses a body of any other size.
            PresignedUpload(
                url: try client.presignedPut(key: key, contentType: contentType, contentLength: contentLength, expires: expires),
                headers: ["Content-Type": contentType])
        }
    }

    public func presignedGet(key: String, downloadName: String?, expires: Duration) throws -> URL {
        try mappedSync(key) { try client.presignedGet(key: key, downloadName: downloadName, expires: expires) }
    }

    public func createMultipartUpload(key: String, contentType: String) async throws -> String {
        try await mapped(key) { try await client.createMultipartUpload(key: key, contentType: contentType, checksummed: false) }
    }

    public func presignedUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64, expires: Duration) throws -> URL {
        try mappedSync(key) {
            try client.presignedUploadPart(key: key, uploadID: uploadID, partNumber: partNumber, contentLength: contentLength, expires: expires)
        }
    }

    public func listParts(key: String, uploadID: String) async throws -> [UploadedPart] {
        try await mapped(key) {
            try await client.listParts(key: key, uploadID: uploadID).map { UploadedPart(number: $0.number, etag: $0.etag, size: $0.size) }
        }
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart]) async throws {
        try await mapped(key) { try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts.map { ($0.number, $0.etag) }) }
    }

    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        try await mapped(key) { try await client.abortMultipartUpload(key: key, uploadID: uploadID) }
    }

    // MARK: Errors

    private func mapped<T>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as S3Error {
            throw Self.storageError(error, key: key)
        }
    }

    private func mappedSync<T>(_ key: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as S3Error {
            throw Self.storageError(error, key: key)
        }
    }

    static func storageError(_ error: S3Error, key: String?) -> StorageError {
        let code: StorageError.Code
        switch error.code {
        case "NoSuchKey", "NotFound": code = .noSuchKey
        case "NoSuchUpload": code = .noSuchUpload
        case "InvalidKey": code = .invalidKey
        case "InvalidRange": code = .invalidRange
        case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken": code = .denied
        case "NetworkError": code = .unavailable
        case "LocalFileError": code = .localFile
        default:
            switch error.status {
            case 404: code = .noSuchKey
            case 403: code = .denied
            case 416: code = .invalidRange
            case 500...: code = .unavailable
            default: code = .failed
            }
        }
        return StorageError(
            code, key: error.key ?? key,
            "\(error.code): \(error.message.isEmpty ? "(no message)" : error.message) (\(error.curlCode.map { "curl error \($0)" } ?? "HTTP \(error.status)"))"
        )
    }
}

extension S3ObjectStore {
    /// The bucket's lifecycle rule for Cutline's lifetimes (`StorageLifetimes`, in whole days): unfinished
    /// uploads aborted after the upload TTL, sources and clips expired after the retention. Rules of
    /// others in the bucket are not overwritten unless `replace`; returns the rules as the bucket has them.
    public func applyLifetimes(_ lifetimes: StorageLifetimes, replace: Bool = false) async throws -> [S3Client.LifecycleRule] {
        let existing = try await mapped(nil) { try await client.bucketLifecycle() }
        let foreign = existing.filter { !$0.id.hasPrefix("cutline-") }
        if !foreign.isEmpty, !replace {
            throw StorageError(
                .failed, key: nil,
                "the bucket \(client.bucket) has lifecycle rules that are not Cutline's (\(foreign.map(\.id).joined(separator: ", "))); S3 keeps one configuration per bucket, so add Cutline's rules to them by hand, or pass --replace"
            )
        }
        var rules = [
            S3Client.LifecycleRule(
                id: "cutline-abort-unfinished-uploads", prefix: "uploads/", abortIncompleteUploadDays: StorageLifetimes.days(lifetimes.uploadTTL))
        ]
        if let retention = lifetimes.retention {
            let days = StorageLifetimes.days(retention)
            rules.append(S3Client.LifecycleRule(id: "cutline-retention-uploads", prefix: "uploads/", expirationDays: days))
            rules.append(S3Client.LifecycleRule(id: "cutline-retention-clips", prefix: "clips/", expirationDays: days))
        }
        try await mapped(nil) { try await client.putBucketLifecycle(rules) }
        return try await mapped(nil) { try await client.bucketLifecycle() }
    }
}
