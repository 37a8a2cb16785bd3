/// The error every RPC call can end with: a typed code and a message a person can act on.
/// It travels as the payload of an `error` frame: `{"code": text, "message": text}`.
public struct RPCError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    public var message: String
    /// What exactly went wrong within `code`, as a stable snake_case word a caller can branch on
    /// (e.g. `unsupported_format` in a `bad_request`); absent when the code says it all.
    public var detail: String?

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public enum Code: String, Codable, Sendable, CaseIterable {
        case badRequest = "bad_request"
        case unauthenticated
        case notFound = "not_found"
        case deadlineExceeded = "deadline_exceeded"
        case unavailable
        case cancelled
        case internalError = "internal"
        case unsupportedVersion = "unsupported_version"
        case resourceExhausted = "resource_exhausted"
        case unimplemented

        /// Codes from a newer peer are kept readable rather than failing the whole error frame.
        public init(from decoder: any Decoder) throws {
            let raw = try decoder.singleValueContainer().decode(String.self)
            self = Code(rawValue: raw) ?? .internalError
        }
    }

    public static func badRequest(_ message: String, detail: String? = nil) -> RPCError { .init(.badRequest, message, detail: detail) }
    public static func unauthenticated(_ message: String) -> RPCError { .init(.unauthenticated, message) }
    public static func notFound(_ message: String) -> RPCError { .init(.notFound, message) }
    public static func deadlineExceeded(_ message: String) -> RPCError { .init(.deadlineExceeded, message) }
    public static func unavailable(_ message: String, detail: String? = nil) -> RPCError { .init(.unavailable, message, detail: detail) }
    public static func cancelled(_ message: String) -> RPCError { .init(.cancelled, message) }
    public static func internalError(_ message: String) -> RPCError { .init(.internalError, message) }
    public static func unsupportedVersion(_ message: String) -> RPCError { .init(.unsupportedVersion, message) }
}
