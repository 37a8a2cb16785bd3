public import CutlineBlobStore
public import CutlineBlocking
public import Foundation

/// The object store in a local directory (the embedded default): `BlobStore` for the files, the
/// Gateway at `publicURL` for the signed URLs. Its file I/O runs on the blocking executor.
public struct EmbeddedObjectStore: ObjectStore {
    public let blobs: BlobStore
    /// The Gateway's public address; signed URLs are `publicURL/blob/{key}?…`.
    public let publicURL: URL
    public let executor: BlockingExecutor

    public init(blobs: BlobStore, publicURL: URL, executor: BlockingExecutor = .shared) {
        self.blobs = blobs
        self.publicURL = publicURL
        self.executor = executor
    }

    public var location: String { "embedded store at \(blobs.root.path)" }

    public func put(key: String, file: URL, contentType: String) async throws {
        try await blocking(key) { blobs in try blobs.put(key: key, from: file) }
    }

    public func put(key: String, bytes: [UInt8], contentType: String) async throws {
        try await blocking(key) { blobs in try blobs.put(key: key, bytes: bytes) }
    }

    public func get(key: String, range: ByteRange?, to file: URL) async throws {
        try await blocking(key) { blobs in try blobs.copy(key: key, first: range?.first, last: range?.last, to: file) }
    }

    public func get(key: String, range: ByteRange?) async throws -> [UInt8] {
        try await blocking(key) { blobs in
            guard let range else { return try blobs.get(key: key) }
            return try blobs.read(key: key, first: range.first, last: range.last)
        }
    }

    public func head(key: String) async throws -> ObjectInfo? {
        try await blocking(key) { blobs in
            try blobs.size(key: key).map { ObjectInfo(key: key, size: $0, contentType: nil) }
        }
    }

    public func delete(key: String) async throws {
        try await blocking(key) { blobs in
            do {
                try blobs.delete(key: key)
            } catch let error as BlobStoreError where error.code == "NoSuchKey" {
                // As S3: deleting what is not there succeeds.
            }
        }
    }

    public func list(prefix: String) async throws -> [ObjectInfo] {
        try await blocking(nil) { blobs in
            try blobs.list(prefix: prefix).map { ObjectInfo(key: $0, size: try blobs.size(key: $0) ?? 0, contentType: nil) }
        }
    }

    public func presignedPut(key: String, contentType: String, contentLength: Int64?, expires: Duration) throws -> PresignedUpload {
        try mapped(key) {
            PresignedUpload(
                url: try blobs.presign(
                    method: "PUT", key: key, base: publicURL, expires: expires, contentType: contentType,
                    contentLength: contentLength),
                headers: ["Content-Type": contentType])
        }
    }

    public func presignedGet(key: String, downloadName: String?, expires: Duration) throws -> URL {
        try mapped(key) { try blobs.presign(method: "GET", key: key, base: publicURL, expires: expires, downloadName: downloadName) }
    }

    public func createMultipartUpload(key: String, contentType: String) async throws -> String {
        try await blocking(key) { blobs in try blobs.createMultipartUpload(key: key, contentType: contentType) }
    }

    public func presignedUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64, expires: Duration) throws -> URL {
        try mapped(key) {
            try blobs.presign(
                method: "PUT", key: key, base: publicURL, expires: expires, contentLength: contentLength, uploadID: uploadID, partNumber: partNumber)
        }
    }

    public func listParts(key: String, uploadID: String) async throws -> [UploadedPart] {
        try await blocking(key) { blobs in
            try blobs.listParts(key: key, uploadID: uploadID).map { UploadedPart(number: $0.number, etag: $0.etag, size: $0.size) }
        }
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart]) async throws {
        try await blocking(key) { blobs in try blobs.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts.map { ($0.number, $0.etag) })
        }
    }

    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        try await blocking(key) { blobs in try blobs.abortMultipartUpload(key: key, uploadID: uploadID) }
    }

    // MARK: Off the pool, with typed errors

    private func blocking<T: Sendable>(_ key: String?, _ body: @escaping @Sendable (BlobStore) throws -> T) async throws -> T {
        let blobs = self.blobs
        return try await mapped(key) { try await executor.run { _ in try body(blobs) } }
    }

    private func mapped<T>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BlobStoreError {
            throw Self.storageError(error, key: key)
        } catch let error as CocoaError {
            throw StorageError(NoSpace.matches(error) ? .full : .localFile, key: key, error.localizedDescription)
        }
    }

    private func mapped<T>(_ key: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as BlobStoreError {
            throw Self.storageError(error, key: key)
        }
    }

    static func storageError(_ error: BlobStoreError, key: String?) -> StorageError {
        let code: StorageError.Code =
            switch error.code {
            case "NoSuchKey": .noSuchKey
            case "NoSuchUpload": .noSuchUpload
            case "InvalidKey": .invalidKey
            case "InvalidRange": .invalidRange
            case "SignatureDoesNotMatch", "AccessDenied": .denied
            case "IOError": .localFile
            case "StorageFull": .full
            default: .failed
            }
        return StorageError(code, key: error.key ?? key, "\(error.code): \(error.message)")
    }
}
