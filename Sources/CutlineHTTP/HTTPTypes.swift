public import Foundation

public enum HTTPMethod: String, Sendable {
    case get = "GET"
    case head = "HEAD"
    case put = "PUT"
    case post = "POST"
    case delete = "DELETE"

    /// Safe to send again after a failure whose outcome is unknown.
    public var isIdempotent: Bool { self != .post }
}

public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// Streamed from a file: `length` bytes from `offset` (a multipart part), or the whole file.
        case file(path: String, offset: Int64 = 0, length: Int64? = nil)
    }

    public enum Destination: Sendable {
        case memory
        /// Streamed to a file, written to a temporary name and renamed into place on success.
        case file(path: String)
    }

    public var method: HTTPMethod
    public var url: URL
    public var headers: [(String, String)]
    public var body: Body
    public var destination: Destination
    /// Whether a failed attempt may be sent again. nil: only idempotent methods. A caller sets true for a
    /// POST that is idempotent by its own design (a conditional DynamoDB write), false to never retry.
    public var retryable: Bool?

    public init(
        method: HTTPMethod, url: URL, headers: [(String, String)] = [], body: Body = .none,
        destination: Destination = .memory, retryable: Bool? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.destination = destination
        self.retryable = retryable
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// An HTTP exchange that failed: the network (with curl's error text) or a status the caller did not
/// accept. Services turn the latter into their own typed errors from `response`.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case network(curlCode: Int32, message: String)
        case status(HTTPResponse)
        case file(path: String, message: String)
    }

    public let kind: Kind
    public let method: HTTPMethod
    public let url: String
    public let attempts: Int

    public var status: Int? { if case .status(let response) = kind { response.status } else { nil } }
    public var response: HTTPResponse? { if case .status(let response) = kind { response } else { nil } }

    public var description: String {
        let target = "\(method.rawValue) \(url)"
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        switch kind {
        case .network(let code, let message): return "\(target) failed\(tries): \(message) (curl error \(code))"
        case .status(let response):
            let body = response.bodyText.prefix(300)
            return "\(target) answered HTTP \(response.status)\(tries)\(body.isEmpty ? "" : ": \(body)")"
        case .file(let path, let message): return "\(target): \(path): \(message)"
        }
    }
}
