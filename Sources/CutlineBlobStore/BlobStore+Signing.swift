import Crypto
public import Foundation

/// Signed URLs of the embedded store, served by the Gateway under `/blob/{key}`:
/// `?method=PUT&expires=UNIX&content-type=T&signature=HEX`, the signature an HMAC-SHA256 over
/// method, key, expiry and content type, checked in constant time.
extension BlobStore {
    public struct SignedRequest: Sendable, Hashable {
        public var method: String
        public var key: String
        public var expires: Int64
        public var contentType: String?
        public var signature: String
    }

    func signature(method: String, key: String, expires: Int64, contentType: String?) -> [UInt8] {
        let message = [method, key, String(expires), contentType ?? ""].joined(separator: "\n")
        return Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: self.key))
    }

    /// A URL relative to `base` (the Gateway's public address) that allows `method` on `key` until `expires`.
    public func presign(method: String, key: String, base: URL, expires: Duration, contentType: String? = nil, now: Date = Date()) throws -> URL {
        try Self.validate(key)
        let expiry = Int64(now.timeIntervalSince1970) + expires.components.seconds
        let hex = signature(method: method, key: key, expires: expiry, contentType: contentType).map { String(format: "%02x", $0) }.joined()
        var components = URLComponents(url: base.appendingPathComponent("blob"), resolvingAgainstBaseURL: false)!
        components.percentEncodedPath += "/" + key.split(separator: "/").map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? ""
        }.joined(separator: "/")
        components.queryItems = [URLQueryItem(name: "method", value: method), URLQueryItem(name: "expires", value: String(expiry))]
            + (contentType.map { [URLQueryItem(name: "content-type", value: $0)] } ?? [])
            + [URLQueryItem(name: "signature", value: hex)]
        return components.url!
    }

    /// Checks a request against its signed URL: method, key, expiry and content type must be the signed
    /// ones. Throws a typed error the Gateway turns into 403.
    public func verify(method: String, key: String, query: [String: String], contentType: String?, now: Date = Date()) throws {
        try Self.validate(key)
        guard let expiresText = query["expires"], let expires = Int64(expiresText), let hex = query["signature"],
              query["method"] == method else {
            throw BlobStoreError.signature("the URL is not signed for \(method)")
        }
        guard let given = Self.bytes(hex: hex), given.count == 32 else { throw BlobStoreError.signature("the signature is malformed") }
        let signedType = query["content-type"]
        if let signedType, signedType != contentType {
            throw BlobStoreError.signature("the URL was signed for Content-Type \(signedType), not \(contentType ?? "none")")
        }
        let message = [method, key, String(expires), signedType ?? ""].joined(separator: "\n")
        // swift-crypto compares in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(message.utf8), using: self.key) else {
            throw BlobStoreError.signature("the signature does not match")
        }
        guard Int64(now.timeIntervalSince1970) <= expires else { throw BlobStoreError.expired("the URL expired") }
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
