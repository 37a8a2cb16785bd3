/// An error S3 answered with (its XML `Code` and `Message`, e.g. NoSuchKey, AccessDenied,
/// SignatureDoesNotMatch), with the key and HTTP status; or a local failure around a transfer.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let key: String?
    public let status: Int

    public init(code: String, message: String, key: String?, status: Int) {
        self.code = code
        self.message = message
        self.key = key
        self.status = status
    }

    public var isNoSuchKey: Bool { code == "NoSuchKey" || (status == 404 && code == "NotFound") }

    /// One line naming the key and S3's error code, as `cutline storage` prints it.
    public var description: String {
        let subject = key.map { "key \($0)" } ?? "bucket"
        return "\(subject): \(code)\(message.isEmpty ? "" : ": \(message)") (HTTP \(status))"
    }
}
