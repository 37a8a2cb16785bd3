public import Foundation

/// What SigV4 signs of an HTTP request: method, target, headers and the payload's hash.
public struct SigV4Request: Sendable {
    public var method: String
    /// `host[:port]`, the value of the Host header when `headers` has none.
    public var authority: String
    /// The path as it goes on the request line (its percent-encoded form), `/` at least.
    public var path: String
    /// The query as it goes on the request line, without `?`.
    public var query: String?
    /// Headers in the order they are sent; a name may repeat.
    public var headers: [(name: String, value: String)]
    /// Hex SHA-256 of the body, or ``SigV4Signer/unsignedPayload``.
    public var payloadHash: String

    public init(
        method: String,
        authority: String,
        path: String,
        query: String? = nil,
        headers: [(name: String, value: String)] = [],
        payloadHash: String
    ) {
        self.method = method
        self.authority = authority
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// Takes authority, path and query from an absolute http(s) URL; default ports are left out of
    /// the authority, as HTTP clients leave them out of the Host header.
    public init(
        method: String,
        url: URL,
        headers: [(name: String, value: String)] = [],
        payloadHash: String
    ) throws(SigV4Error) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = url.host(percentEncoded: true), !host.isEmpty
        else {
            throw .invalidURL(url.absoluteString)
        }
        if host.contains(":") && !host.hasPrefix("[") {
            host = "[\(host)]"  // IPv6 literal
        }
        var authority = host
        if let port = url.port, port != (scheme == "https" ? 443 : 80) {
            authority += ":\(port)"
        }
        self.init(
            method: method,
            authority: authority,
            path: url.path(percentEncoded: true),
            query: url.query(percentEncoded: true),
            headers: headers,
            payloadHash: payloadHash
        )
    }
}
