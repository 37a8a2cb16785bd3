/// An error S3 answered with (its XML `Code` and `Message`, e.g. NoSuchKey, AccessDenied,
/// SignatureDoesNotMatch), with the key and HTTP status; or a local failure around a transfer.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let key: String?
    public let status: Int
    /// For `NetworkError`: curl's error code (7 cannot connect, 28 timed out, …); its own message is
    /// `message`.
    public let curlCode: Int32?

    public init(code: String, message: String, key: String?, status: Int, curlCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.key = key
        self.status = status
        self.curlCode = curlCode
    }

    public var isNoSuchKey: Bool { code == "NoSuchKey" || (status == 404 && code == "NotFound") }

    /// One line naming the key and S3's error code, as `cutline storage` prints it.
    public var description: String {
        let subject = key.map { "key \($0)" } ?? "bucket"
        let origin = curlCode.map { "curl error \($0)" } ?? "HTTP \(status)"
        return "\(subject): \(code)\(message.isEmpty ? "" : ": \(message)") (\(origin))"
    }
}
