import CutlineAWS
import CutlineHTTP
public import Foundation

extension S3Client {
    /// Multipart upload: create, parts in parallel (each with its SHA-256 checksum), complete; on any
    /// failure the upload is aborted so no parts are left behind.
    func putMultipart(key: String, file: String, size: Int64, contentType: String) async throws -> String {
        let uploadID = try await createMultipartUpload(key: key, contentType: contentType)
        let partSize = max(configuration.partSize, 5 * 1024 * 1024)
        let count = Int((size + partSize - 1) / partSize)
        do {
            var parts = [(etag: String, checksum: String)](repeating: ("", ""), count: count)
            try await withThrowingTaskGroup(of: (Int, String, String).self) { group in
                var next = 0
                func start() {
                    let index = next
                    next += 1
                    group.addTask {
                        let offset = Int64(index) * partSize
                        let length = min(partSize, size - offset)
                        let digest = try await hash(file: file, offset: offset, length: length, key: key)
                        let checksum = Data(digest).base64EncodedString()
                        let response = try await send(
                            .put, key: key, query: "partNumber=\(index + 1)&uploadId=\(AWSURIEncoding.encode(uploadID))",
                            headers: [("x-amz-checksum-sha256", checksum)],
                            body: .file(path: file, offset: offset, length: length), payloadHash: digest.hex,
                            timeout: Self.transferTimeout(length))
                        return (index, response.headers["etag"] ?? "", checksum)
                    }
                }
                for _ in 0..<min(configuration.partConcurrency, count) { start() }
                while let (index, etag, checksum) = try await group.next() {
                    parts[index] = (etag, checksum)
                    if next < count { start() }
                }
            }
            let body =
                "<CompleteMultipartUpload>"
                + parts.enumerated().map { index, part in
                    "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag><ChecksumSHA256>\(part.checksum)</ChecksumSHA256></Part>"
                }.joined() + "</CompleteMultipartUpload>"
            let bytes = Array(body.utf8)
            let completed = try await send(
                .post, key: key, query: "uploadId=\(AWSURIEncoding.encode(uploadID))",
                headers: [("Content-Type", "application/xml")], body: .bytes(bytes),
                payloadHash: SigV4Signer.payloadHash(bytes))
            return try Self.completedETag(completed, key: key)
        } catch {
            try? await abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Starts a multipart upload; returns its upload id. With `checksummed`, every part must carry its
    /// SHA-256 (as this client's own uploads do); parts a browser sends to presigned URLs carry none.
    public func createMultipartUpload(key: String, contentType: String, checksummed: Bool = true) async throws -> String {
        try Self.validate(key)
        let created = try await send(
            .post, key: key, query: "uploads=",
            headers: [("Content-Type", contentType)]
                + (checksummed ? [("x-amz-checksum-algorithm", "SHA256")] : []))
        guard let uploadID = S3XML(created.body).values["UploadId"], !uploadID.isEmpty else {
            throw S3Error(code: "InvalidResponse", message: "CreateMultipartUpload answered without an UploadId", key: key, status: created.status)
        }
        return uploadID
    }

    /// A URL anyone may PUT one part to until it expires; with `contentLength` the length is signed, so a
    /// part of another size is refused.
    public func presignedUploadPart(
        key: String, uploadID: String, partNumber: Int, contentLength: Int64? = nil, expires: Duration = .seconds(3600)
    ) throws -> URL {
        try Self.validate(key)
        return try signer.presignedURL(
            method: "PUT", url: url(key, query: "partNumber=\(partNumber)&uploadId=\(AWSURIEncoding.encode(uploadID))", signedForOthers: true),
            headers: contentLength.map { [("content-length", String($0))] } ?? [], expires: expires)
    }

    public struct Part: Sendable, Hashable {
        public var number: Int
        public var etag: String
        public var size: Int64
    }

    /// The parts stored so far, following the listing's pages.
    public func listParts(key: String, uploadID: String) async throws -> [Part] {
        try Self.validate(key)
        var parts: [(Part, String)] = []
        var marker: String?
        repeat {
            var query = "max-parts=1000&uploadId=\(AWSURIEncoding.encode(uploadID))"
            if let marker { query = "part-number-marker=\(marker)&" + query }
            let response = try await send(.get, key: key, query: query)
            let xml = S3XML(response.body, group: "Part")
            parts += xml.groups.compactMap { group in
                guard let number = group["PartNumber"].flatMap(Int.init) else { return nil }
                return (Part(number: number, etag: group["ETag"] ?? "", size: Int64(group["Size"] ?? "") ?? 0), group["LastModified"] ?? "")
            }
            marker = xml.values["IsTruncated"] == "true" ? xml.values["NextPartNumberMarker"] : nil
        } while marker != nil
        // S3 keeps one copy of a part sent twice; SeaweedFS lists both: the newest is the one that counts
        // (ISO 8601 times compare as text; equal times keep the later entry).
        var newest: [Int: (part: Part, modified: String)] = [:]
        for (part, modified) in parts where modified >= newest[part.number]?.modified ?? "" {
            newest[part.number] = (part, modified)
        }
        return newest.values.map(\.part).sorted { $0.number < $1.number }
    }

    /// Joins the given parts (number and ETag, as stored) into the object.
    public func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        try Self.validate(key)
        let body =
            "<CompleteMultipartUpload>"
            + parts.map { part in
                "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
            }.joined() + "</CompleteMultipartUpload>"
        let bytes = Array(body.utf8)
        let completed = try await send(
            .post, key: key, query: "uploadId=\(AWSURIEncoding.encode(uploadID))",
            headers: [("Content-Type", "application/xml")], body: .bytes(bytes),
            payloadHash: SigV4Signer.payloadHash(bytes))
        _ = try Self.completedETag(completed, key: key)
    }

    /// Abandons a multipart upload; S3 deletes the parts stored so far.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        try Self.validate(key)
        _ = try await send(.delete, key: key, query: "uploadId=\(AWSURIEncoding.encode(uploadID))")
    }

    /// CompleteMultipartUpload's answer: S3 sends 200 at once and the outcome later in the body, so
    /// a 200 can carry an `<Error>` document (AWS's API reference shows one with InternalError).
    static func completedETag(_ response: HTTPResponse, key: String) throws -> String {
        let xml = S3XML(response.body)
        if let code = xml.values["Code"] {
            throw S3Error(code: code, message: xml.values["Message"] ?? "", key: key, status: response.status)
        }
        guard let etag = xml.values["ETag"] else {
            throw S3Error(
                code: "InvalidResponse", message: "CompleteMultipartUpload answered without an ETag or an error", key: key, status: response.status)
        }
        return etag
    }

    /// Upload ids of multipart uploads in progress under `prefix` (for tests and cleanup).
    public func listMultipartUploads(prefix: String = "") async throws -> [String] {
        let response = try await send(.get, key: nil, query: "prefix=\(AWSURIEncoding.encode(prefix))&uploads=")
        return S3XML(response.body, group: "Upload").groups.compactMap { $0["UploadId"] }
    }

    /// Creates the bucket (for setup and tests); an existing bucket of ours is fine.
    public func createBucket() async throws {
        do {
            _ = try await send(.put, key: nil)
        } catch let error as S3Error where error.code == "BucketAlreadyOwnedByYou" || error.code == "BucketAlreadyExists" {
            return
        }
    }
}
