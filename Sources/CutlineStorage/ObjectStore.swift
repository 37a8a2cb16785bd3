public import CutlineCore
public import Foundation

/// Where Cutline keeps files (uploads and clips): S3 or any S3 API (`S3ObjectStore`), or a local
/// directory whose signed URLs the Gateway serves (`EmbeddedObjectStore`). Every caller has this one
/// code path; which store it is, is one setting (`CUTLINE_S3_BUCKET`).
///
/// Transfers stream from and to files, so memory stays flat whatever an object's size. Errors are
/// `StorageError`, naming the key.
public protocol ObjectStore: Sendable {
    /// One line for logs and messages: `s3://bucket (endpoint)` or `embedded store at /path`.
    var location: String { get }

    /// Stores a file (streamed; large files in parts where the store has them).
    func put(key: String, file: URL, contentType: String) async throws
    func put(key: String, bytes: [UInt8], contentType: String) async throws
    /// Streams the object (or one byte range of it) into `file`, which appears only once complete.
    func get(key: String, range: ByteRange?, to file: URL) async throws
    func get(key: String, range: ByteRange?) async throws -> [UInt8]
    /// nil when there is no such object.
    func head(key: String) async throws -> ObjectInfo?
    /// Deleting a missing key is not an error (as in S3).
    func delete(key: String) async throws
    /// Every object under `prefix`, in key order.
    func list(prefix: String) async throws -> [ObjectInfo]

    /// A URL a browser may PUT `contentType` to until it expires; with `contentLength`, exactly that
    /// many bytes (the size is signed too).
    func presignedPut(key: String, contentType: String, contentLength: Int64?, expires: Duration) throws -> PresignedUpload
    /// A URL anyone may GET (with Range) until it expires; with `downloadName`, browsers save it under
    /// that name.
    func presignedGet(key: String, downloadName: String?, expires: Duration) throws -> URL

    /// Multipart uploads, for files too large for one PUT: the browser PUTs parts to presigned URLs.
    func createMultipartUpload(key: String, contentType: String) async throws -> String
    /// A URL a browser may PUT part `partNumber` to until it expires: exactly `contentLength` bytes (signed),
    /// so nothing beyond the declared size can be stored.
    func presignedUploadPart(key: String, uploadID: String, partNumber: Int, contentLength: Int64, expires: Duration) throws -> URL
    /// The parts stored so far, by part number (a resumed upload skips them).
    func listParts(key: String, uploadID: String) async throws -> [UploadedPart]
    /// Joins the parts into the object; the parts must be those `listParts` gives.
    func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart]) async throws
    func abortMultipartUpload(key: String, uploadID: String) async throws
}

/// Bytes `first` through `last`, both included (an HTTP Range).
public struct ByteRange: Sendable, Hashable, CustomStringConvertible {
    public var first: Int64
    public var last: Int64

    public init(first: Int64, last: Int64) {
        precondition(first >= 0 && last >= first, "a byte range needs 0 <= first <= last")
        self.first = first
        self.last = last
    }

    public var count: Int64 { last - first + 1 }
    public var description: String { "bytes=\(first)-\(last)" }
}

public struct ObjectInfo: Sendable, Hashable {
    public var key: String
    public var size: Int64
    public var contentType: String?

    public init(key: String, size: Int64, contentType: String?) {
        self.key = key
        self.size = size
        self.contentType = contentType
    }
}

/// A presigned PUT: the URL, and the headers the request must carry exactly as signed.
public struct PresignedUpload: Sendable, Hashable {
    public var url: URL
    public var headers: [String: String]

    public init(url: URL, headers: [String: String]) {
        self.url = url
        self.headers = headers
    }
}

public struct UploadedPart: Sendable, Hashable {
    public var number: Int
    public var etag: String
    public var size: Int64

    public init(number: Int, etag: String, size: Int64) {
        self.number = number
        self.etag = etag
        self.size = size
    }
}

/// A storage failure, with the key and the store's own words.
public struct StorageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// No object (or upload) with that key.
        case noSuchKey = "NoSuchKey"
        case noSuchUpload = "NoSuchUpload"
        /// A key Cutline never makes or the store refuses.
        case invalidKey = "InvalidKey"
        /// A range that starts past the end of the object.
        case invalidRange = "InvalidRange"
        /// The store refused the credentials or the signature.
        case denied = "AccessDenied"
        /// The store could not be reached, or answered with a server error, past the retries.
        case unavailable = "Unavailable"
        /// Reading or writing a local file failed.
        case localFile = "LocalFileError"
        /// The disk the store writes to is full (or the quota used up): nothing was stored.
        case full = "StorageFull"
        /// Anything else the store answered.
        case failed = "StorageFailed"
    }

    public let code: Code
    public let key: String?
    public let message: String

    public init(_ code: Code, key: String?, _ message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    public var description: String {
        "\(key.map { "key \($0)" } ?? "storage"): \(code.rawValue): \(message)"
    }
}

extension StorageError: JobFailureConvertible {
    public var jobFailure: JobFailure {
        switch code {
        case .noSuchKey: JobFailure(code: "storage_missing", message: "\(key ?? "an object") is not in storage (was the upload finished?)")
        case .unavailable: JobFailure(code: "storage_unavailable", message: "the object store could not be reached past the retries: \(message)")
        case .localFile: JobFailure(code: "disk", message: "a local file could not be written or read: \(message)")
        case .full:
            JobFailure(
                code: "storage_full",
                message: "the storage is full, so \(key ?? "the file") was not stored (\(message)); free space and start the job again")
        default: JobFailure(code: "storage_failed", message: "the object store refused: \(description)")
        }
    }
}
