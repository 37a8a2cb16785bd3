import CutlineBlobStore
import CutlineBlocking
import CutlineHTTP
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The embedded store's signed URLs, served by the Gateway: `PUT /blob/{key}` (a whole object, or a
/// multipart part) streamed to disk, and `GET`/`HEAD` streamed from it with single byte ranges so a
/// video player can seek. The signature is the only credential; nothing here reads the API token.
struct BlobController: Sendable {
    let blobs: BlobStore
    let executor: BlockingExecutor
    /// Bytes gathered before each write to disk (one hop to the blocking pool per chunk).
    static let chunk = 1 << 20
    static let maximumBody: Int64 = 5 << 30

    var endpoints: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.put("blob/**") { request, context in try await put(request, context) }
        routes.get("blob/**") { request, _ in try await get(request, head: false) }
        routes.head("blob/**") { request, _ in try await get(request, head: true) }
        return routes
    }

    /// The key from the raw path, decoded once (the URL was made by `BlobStore.presign`).
    static func key(_ request: Request) throws -> String {
        let path = request.uri.path
        guard path.hasPrefix("/blob/"), let key = String(path.dropFirst("/blob/".count)).removingPercentEncoding, !key.isEmpty else {
            throw APIError.badRequest("a blob URL is /blob/KEY")
        }
        return key
    }

    /// The query as Foundation decodes it, the way `presign` encoded it.
    static func query(_ request: Request) -> [String: String] {
        let items = URLComponents(string: request.uri.description)?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    func verify(method: String, _ request: Request, key: String, contentType: String?, contentLength: Int64?) throws -> [String: String] {
        let query = Self.query(request)
        do {
            try blobs.verify(method: method, key: key, query: query, contentType: contentType, contentLength: contentLength)
        } catch let error as BlobStoreError {
            throw APIError.forbidden("this URL does not allow \(method) of \(key): \(error.message)")
        }
        return query
    }

    func put(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let key = try Self.key(request)
        let length = request.headers[.contentLength].flatMap { Int64($0) }
        let query = try verify(method: "PUT", request, key: key, contentType: request.headers[.contentType], contentLength: length)
        let writer: BlobWriter
        do {
            if let upload = query["upload"], let part = query["part"].flatMap(Int.init) {
                writer = try blobs.beginPart(key: key, uploadID: upload, number: part)
            } else {
                writer = try blobs.beginWrite(key: key)
            }
        } catch let error as BlobStoreError {
            throw Self.refusal(error)
        }
        do {
            var pending = ByteBuffer()
            var received: Int64 = 0
            for try await buffer in request.body {
                received += Int64(buffer.readableBytes)
                // S3's own ceilings: a part or a single PUT is at most 5 GiB; more than signed is refused.
                guard received <= (length ?? Self.maximumBody) else {
                    throw APIError(.contentTooLarge, "too_large", "the body is larger than \(length.map { "the \($0) bytes signed" } ?? "5 GiB")")
                }
                pending.writeImmutableBuffer(buffer)
                if pending.readableBytes >= Self.chunk {
                    let bytes = pending.readBytes(length: pending.readableBytes) ?? []
                    pending.clear()
                    try await executor.run { _ in try writer.write(bytes) }
                }
            }
            let rest = pending.readBytes(length: pending.readableBytes) ?? []
            try await executor.run { _ in
                try writer.write(rest)
                if let length, writer.bytesWritten != length {
                    throw APIError.badRequest("the body had \(writer.bytesWritten) bytes, not the \(length) its Content-Length said")
                }
                try writer.commit()
            }
        } catch let error as BlobStoreError {
            writer.abort()
            if error.code == "StorageFull" { context.logger.error("upload refused: storage full", metadata: ["key": "\(key)", "error": "\(error)"]) }
            throw Self.refusal(error)
        } catch {
            writer.abort()
            throw error
        }
        context.logger.debug("blob stored", metadata: ["key": "\(key)", "bytes": "\(writer.bytesWritten)"])
        return Response(status: .ok, headers: [.eTag: "\"\(writer.bytesWritten)\""])
    }

    func get(_ request: Request, head: Bool) async throws -> Response {
        let key = try Self.key(request)
        let query = try verify(method: "GET", request, key: key, contentType: nil, contentLength: nil)
        let file: URL
        let size: Int64
        do {
            file = try blobs.file(key: key)
            size = try blobs.size(key: key) ?? 0
        } catch let error as BlobStoreError {
            throw APIError.notFound("no object \(key) (\(error.message))")
        }
        var headers: HTTPFields = [.acceptRanges: "bytes", .contentType: Self.contentType(key)]
        if let name = query["filename"] { headers[.contentDisposition] = ContentDisposition.attachment(name) }
        var first: Int64 = 0
        var last = size - 1
        var status = HTTPResponse.Status.ok
        switch Self.range(request.headers[.range], size: size) {
        case .whole:
            break
        case .part(let from, let to):
            (first, last, status) = (from, to, .partialContent)
            headers[.contentRange] = "bytes \(from)-\(to)/\(size)"
        case .unsatisfiable:
            return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
        }
        let count = max(0, last - first + 1)
        headers[.contentLength] = String(count)
        if head { return Response(status: status, headers: headers) }
        let executor = self.executor
        let offset = first
        let body = ResponseBody(contentLength: Int(count)) { writer in
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(offset))
            var remaining = count
            while remaining > 0 {
                let want = Int(min(remaining, Int64(Self.chunk)))
                let data = try await executor.run { _ in try handle.read(upToCount: want) ?? Data() }
                guard !data.isEmpty else { break }
                try await writer.write(ByteBuffer(bytes: data))
                remaining -= Int64(data.count)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    enum RangeAnswer: Equatable {
        case whole
        case part(Int64, Int64)
        case unsatisfiable
    }

    /// One byte range of RFC 9110 §14.1.2: `a-b`, `a-` and the suffix `-n` (the last n bytes). Several
    /// ranges, or a header that does not parse, get the whole object, as the RFC allows.
    static func range(_ header: String?, size: Int64) -> RangeAnswer {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let start = spec[..<dash]
        let end = spec[spec.index(after: dash)...]
        if start.isEmpty {
            guard let suffix = Int64(end), suffix >= 0 else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - suffix), size - 1)
        }
        guard let from = Int64(start), from >= 0 else { return .whole }
        guard from < size else { return .unsatisfiable }
        if end.isEmpty { return .part(from, size - 1) }
        guard let to = Int64(end), to >= from else { return .whole }
        return .part(from, min(to, size - 1))
    }

    static func contentType(_ key: String) -> String {
        switch (key as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "mov": "video/quicktime"
        case "webm": "video/webm"
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    /// A store error as the uploader should see it: a full disk is 507 (try later, nothing was kept).
    static func refusal(_ error: BlobStoreError) -> APIError {
        switch error.code {
        case "NoSuchUpload": APIError.notFound("the upload is no longer open: \(error.message)")
        case "StorageFull":
            APIError(
                HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "storage_full",
                "the Gateway's storage is full, so the upload was not kept; try again later")
        default: APIError.badRequest(error.description)
        }
    }
}
