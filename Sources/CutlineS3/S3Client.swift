import Crypto
public import CutlineAWS
public import CutlineBlocking
public import CutlineHTTP
public import Foundation
import Metrics

/// An S3 client for one bucket, on the libcurl HTTP client and the SigV4 signer. Works with AWS S3
/// and S3-compatible servers (SeaweedFS, MinIO) through an endpoint override and path-style addressing.
public struct S3Client: Sendable {
    public enum Addressing: Sendable { case path, virtualHosted }

    public struct Configuration: Sendable {
        public var addressing: Addressing = .path
        /// Files at least this large go up in parts.
        public var multipartThreshold: Int64 = 64 * 1024 * 1024
        public var partSize: Int64 = 16 * 1024 * 1024
        public var partConcurrency = 4
        /// Where files are hashed before they go up: blocking reads, kept off the cooperative pool.
        public var executor: BlockingExecutor = .shared
        /// The endpoint the URLs this client signs for others point at, when they reach S3 by another
        /// name than this service does (a browser on the host, the services in containers).
        public var publicEndpoint: URL?
        public init() {}
    }

    public let bucket: String
    public let endpoint: URL
    public let configuration: Configuration
    let http: HTTPClient
    let signer: SigV4Signer

    public init(bucket: String, endpoint: URL, signer: SigV4Signer, http: HTTPClient, configuration: Configuration = .init()) {
        self.bucket = bucket
        self.endpoint = endpoint
        self.signer = signer
        self.http = http
        self.configuration = configuration
    }

    /// From the standard AWS variables; path-style addressing whenever an endpoint override is set.
    public init(bucket: String, environment: [String: String], http: HTTPClient, configuration: Configuration = .init()) throws {
        let region = try AWSRegion.fromEnvironment(environment)
        let endpoint = try AWSEndpoints.resolve(.s3, region: region, env: environment)
        var configuration = configuration
        let overridden = environment["AWS_ENDPOINT_URL_S3"].map { !$0.isEmpty } == true || environment["AWS_ENDPOINT_URL"].map { !$0.isEmpty } == true
        configuration.addressing = overridden ? .path : .virtualHosted
        self.init(
            bucket: bucket, endpoint: endpoint,
            signer: SigV4Signer(credentials: try AWSCredentials.fromEnvironment(environment), region: region, service: .s3),
            http: http, configuration: configuration)
    }

    // MARK: Addressing

    /// The URL of `key` (or of the bucket when nil) with an encoded query.
    func url(_ key: String?, query: String? = nil, signedForOthers: Bool = false) -> URL {
        let base = signedForOthers ? configuration.publicEndpoint ?? endpoint : endpoint
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        let encodedKey = key.map { "/" + AWSURIEncoding.encode($0, keepSlash: true) } ?? "/"
        switch configuration.addressing {
        case .path:
            components.percentEncodedPath = "/\(bucket)" + (key == nil ? "" : encodedKey)
        case .virtualHosted:
            components.host = "\(bucket).\(components.host ?? "")"
            components.percentEncodedPath = encodedKey
        }
        components.percentEncodedQuery = query
        return components.url!
    }

    /// Validates a key before it is used: what S3 accepts, minus what no caller of Cutline should send.
    static func validate(_ key: String) throws {
        guard !key.isEmpty, key.utf8.count <= 1024, !key.hasPrefix("/"), !key.contains("\0") else {
            throw S3Error(code: "InvalidKey", message: "keys are 1–1024 bytes, not starting with / and without NUL", key: key, status: 0)
        }
    }

    // MARK: Sending

    func send(
        _ method: HTTPMethod, key: String?, query: String? = nil, headers: [(String, String)] = [],
        body: HTTPRequest.Body = .none, payloadHash: String = SigV4Signer.unsignedPayload,
        destination: HTTPRequest.Destination = .memory, timeout: Duration? = nil
    ) async throws -> HTTPResponse {
        let target = url(key, query: query)
        // The signer adds x-amz-content-sha256 (S3 wants it) and signs every header given here.
        let request = try SigV4Request(
            method: method.rawValue, url: target, headers: headers.map { (name: $0.0, value: $0.1) }, payloadHash: payloadHash)
        let signed = headers + (try signer.signHeaders(request: request)).map { ($0.name, $0.value) }
        let response: HTTPResponse
        // Timed by operation (method, object or bucket, and the sub-resource asked for), failures by code.
        let operation = "\(method.rawValue) \(key == nil ? "bucket" : "object")" + (query.map { "?" + ($0.split(separator: "=").first ?? "") } ?? "")
        let started = ContinuousClock.now
        defer {
            Timer(label: "cutline_aws_request_duration_seconds", dimensions: [("service", "s3"), ("operation", operation)])
                .record(duration: ContinuousClock.now - started)
        }
        do {
            response = try await http.send(
                HTTPRequest(method: method, url: target, headers: signed, body: body, destination: destination), timeout: timeout)
        } catch let error as HTTPError {
            let code: String =
                switch error.kind {
                case .network: "NetworkError"
                case .file: "LocalFileError"
                case .status(let response): Self.error(response, key: key).code
                }
            Counter(label: "cutline_aws_request_errors_total", dimensions: [("service", "s3"), ("operation", operation), ("code", code)]).increment()
            switch error.kind {
            case .network(let curlCode, let message):
                let tries = error.attempts > 1 ? " (after \(error.attempts) attempts)" : ""
                throw S3Error(
                    code: "NetworkError", message: "\(method.rawValue) \(target.host ?? ""): \(message)\(tries)", key: key, status: 0,
                    curlCode: curlCode)
            case .file(let path, let message):
                throw S3Error(code: "LocalFileError", message: "\(path): \(message)", key: key, status: 0)
            case .status(let response):
                throw Self.error(response, key: key)
            }
        }
        guard (200..<300).contains(response.status) else {
            let error = Self.error(response, key: key)
            Counter(label: "cutline_aws_request_errors_total", dimensions: [("service", "s3"), ("operation", operation), ("code", error.code)])
                .increment()
            throw error
        }
        return response
    }

    static func error(_ response: HTTPResponse, key: String?) -> S3Error {
        let xml = S3XML(response.body)
        let code = xml.values["Code"] ?? (response.status == 404 ? "NotFound" : response.status == 403 ? "AccessDenied" : "HTTP\(response.status)")
        return S3Error(code: code, message: xml.values["Message"] ?? "", key: key, status: response.status)
    }

    // MARK: Objects

    public struct ObjectInfo: Sendable, Hashable {
        public var key: String
        public var size: Int64
        public var etag: String
        public var contentType: String?
        public var lastModified: String?
    }

    /// Uploads a file with its SHA-256 checksum, which the server verifies; large files go up in parts.
    @discardableResult
    public func putObject(key: String, file: String, contentType: String = "application/octet-stream") async throws -> String {
        try Self.validate(key)
        let size = try Self.fileSize(file, key: key)
        if size >= configuration.multipartThreshold {
            return try await putMultipart(key: key, file: file, size: size, contentType: contentType)
        }
        let digest = try await hash(file: file, offset: 0, length: size, key: key)
        let response = try await send(
            .put, key: key,
            headers: [
                ("Content-Type", contentType), ("x-amz-checksum-sha256", Data(digest).base64EncodedString()),
            ], body: .file(path: file), payloadHash: digest.hex, timeout: Self.transferTimeout(size))
        return response.headers["etag"] ?? ""
    }

    public func putObject(key: String, bytes: [UInt8], contentType: String = "application/octet-stream") async throws {
        try Self.validate(key)
        let digest = Array(SHA256.hash(data: bytes))
        _ = try await send(
            .put, key: key,
            headers: [
                ("Content-Type", contentType), ("x-amz-checksum-sha256", Data(digest).base64EncodedString()),
            ], body: .bytes(bytes), payloadHash: digest.hex)
    }

    /// Downloads to `file` (atomically: a partial download never appears under that name), the whole
    /// object or the bytes `range` names (an HTTP Range, e.g. `bytes=0-1023`).
    public func getObject(key: String, to file: String, range: String? = nil) async throws {
        try Self.validate(key)
        _ = try await send(.get, key: key, headers: range.map { [("Range", $0)] } ?? [], destination: .file(path: file), timeout: .seconds(3600))
    }

    public func getObject(key: String, range: String? = nil) async throws -> [UInt8] {
        try Self.validate(key)
        return try await send(.get, key: key, headers: range.map { [("Range", $0)] } ?? []).body
    }

    /// nil when the object does not exist.
    public func headObject(key: String) async throws -> ObjectInfo? {
        try Self.validate(key)
        do {
            let response = try await send(.head, key: key)
            return ObjectInfo(
                key: key, size: Int64(response.headers["content-length"] ?? "") ?? 0, etag: response.headers["etag"] ?? "",
                contentType: response.headers["content-type"], lastModified: response.headers["last-modified"])
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    public func deleteObject(key: String) async throws {
        try Self.validate(key)
        _ = try await send(.delete, key: key)
    }

    /// Every object under `prefix`, following continuation tokens.
    public func listObjects(prefix: String = "", pageSize: Int = 1000) async throws -> [ObjectInfo] {
        var objects: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = "list-type=2&max-keys=\(pageSize)&prefix=\(AWSURIEncoding.encode(prefix))"
            if let token { query = "continuation-token=\(AWSURIEncoding.encode(token))&" + query }
            let response = try await send(.get, key: nil, query: query)
            let xml = S3XML(response.body, group: "Contents")
            objects += xml.groups.map {
                ObjectInfo(
                    key: $0["Key"] ?? "", size: Int64($0["Size"] ?? "") ?? 0, etag: $0["ETag"] ?? "", contentType: nil,
                    lastModified: $0["LastModified"])
            }
            token = xml.values["IsTruncated"] == "true" ? xml.values["NextContinuationToken"] : nil
        } while token != nil
        return objects
    }

    // MARK: Presigning

    /// A URL anyone may PUT to until it expires; the content type (and length, when given) are signed,
    /// so an upload with another type or size is refused.
    public func presignedPut(key: String, contentType: String, contentLength: Int64? = nil, expires: Duration = .seconds(900)) throws -> URL {
        try Self.validate(key)
        var headers: [(name: String, value: String)] = [("content-type", contentType)]
        if let contentLength { headers.append(("content-length", String(contentLength))) }
        return try signer.presignedURL(method: "PUT", url: url(key, signedForOthers: true), headers: headers, expires: expires)
    }

    /// With `downloadName`, S3 answers with `Content-Disposition: attachment` naming the file (the
    /// `response-content-disposition` parameter, which the signature covers).
    public func presignedGet(key: String, downloadName: String? = nil, expires: Duration = .seconds(900)) throws -> URL {
        try Self.validate(key)
        let query = downloadName.map { "response-content-disposition=\(AWSURIEncoding.encode(ContentDisposition.attachment($0)))" }
        return try signer.presignedURL(method: "GET", url: url(key, query: query, signedForOthers: true), expires: expires)
    }

    // MARK: Helpers

    static func fileSize(_ path: String, key: String) throws -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? NSNumber else {
            throw S3Error(code: "LocalFileError", message: "cannot read \(path)", key: key, status: 0)
        }
        return size.int64Value
    }

    /// SHA-256 of a file range, on the configured executor; cancelling the caller stops the reading.
    func hash(file path: String, offset: Int64, length: Int64, key: String) async throws -> [UInt8] {
        try await configuration.executor.run { job in try Self.sha256(file: path, offset: offset, length: length, key: key, job: job) }
    }

    /// SHA-256 of a file range, read in 1 MiB chunks (memory stays flat however large the file).
    static func sha256(file path: String, offset: Int64, length: Int64, key: String, job: BlockingJob? = nil) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw S3Error(code: "LocalFileError", message: "cannot open \(path)", key: key, status: 0)
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        var hasher = SHA256()
        var remaining = length
        while remaining > 0 {
            try job?.checkCancellation()
            let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            remaining -= Int64(chunk.count)
        }
        return Array(hasher.finalize())
    }

    static func transferTimeout(_ size: Int64) -> Duration {
        // At least a minute, plus a second per 4 MiB: slow links finish, dead ones fail.
        .seconds(60 + size / (4 << 20))
    }
}
