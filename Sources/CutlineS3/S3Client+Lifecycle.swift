import Crypto
import CutlineHTTP
import Foundation

extension S3Client {
    /// One rule of a bucket's lifecycle configuration, for the objects under `prefix`: expire them
    /// `expirationDays` after they were made, and/or abort multipart uploads left unfinished
    /// `abortIncompleteUploadDays` after they began. S3 counts in whole days.
    public struct LifecycleRule: Sendable, Hashable {
        public var id: String
        public var prefix: String
        public var expirationDays: Int?
        public var abortIncompleteUploadDays: Int?

        public init(id: String, prefix: String, expirationDays: Int? = nil, abortIncompleteUploadDays: Int? = nil) {
            self.id = id
            self.prefix = prefix
            self.expirationDays = expirationDays
            self.abortIncompleteUploadDays = abortIncompleteUploadDays
        }
    }

    /// Replaces the bucket's lifecycle configuration with `rules` (PutBucketLifecycleConfiguration).
    public func putBucketLifecycle(_ rules: [LifecycleRule]) async throws {
        let body = Array(
            ("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + rules.map { rule in
                    "<Rule><ID>\(S3XML.escape(rule.id))</ID><Status>Enabled</Status><Filter><Prefix>\(S3XML.escape(rule.prefix))</Prefix></Filter>"
                        + (rule.expirationDays.map { "<Expiration><Days>\($0)</Days></Expiration>" } ?? "")
                        + (rule.abortIncompleteUploadDays.map {
                            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>\($0)</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
                        } ?? "") + "</Rule>"
                }.joined() + "</LifecycleConfiguration>").utf8)
        // S3 wants an integrity header on this call; Content-MD5 is the one every S3 takes.
        let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
        _ = try await send(
            .put, key: nil, query: "lifecycle=", headers: [("Content-MD5", md5)], body: .bytes(body),
            payloadHash: Data(SHA256.hash(data: body)).map { String(format: "%02x", $0) }.joined())
    }

    /// The bucket's lifecycle rules; none when it has no configuration.
    public func bucketLifecycle() async throws -> [LifecycleRule] {
        let response: [UInt8]
        do {
            response = try await send(.get, key: nil, query: "lifecycle=").body
        } catch let error as S3Error where error.code == "NoSuchLifecycleConfiguration" {
            return []
        }
        return S3XML(response, group: "Rule").groups.map { rule in
            LifecycleRule(
                id: rule["ID"] ?? "", prefix: rule["Prefix"] ?? "", expirationDays: rule["Days"].flatMap(Int.init),
                abortIncompleteUploadDays: rule["DaysAfterInitiation"].flatMap(Int.init))
        }
    }
}
