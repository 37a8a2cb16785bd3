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

    /// What a URL may carry besides method, key and expiry; each one it carries is signed.
    struct SignedFields {
        var contentType: String?
        var contentLength: Int64?
        var downloadName: String?
        var uploadID: String?
        var partNumber: Int?

        init(contentType: String?, contentLength: Int64?, downloadName: String?, uploadID: String?, partNumber: Int?) {
            self.contentType = contentType
            self.contentLength = contentLength
            self.downloadName = downloadName
            self.uploadID = uploadID
            self.partNumber = partNumber
        }

        init(query: [String: String]) {
            contentType = query["content-type"]
            contentLength = query["length"].flatMap(Int64.init)
            downloadName = query["filename"]
            uploadID = query["upload"]
            partNumber = query["part"].flatMap(Int.init)
        }

        var queryItems: [URLQueryItem] {
            [
                ("content-type", contentType), ("length", contentLength.map(String.init)), ("filename", downloadName),
                ("upload", uploadID), ("part", partNumber.map(String.init)),
            ]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        }
    }

    func signature(method: String, key: String, expires: Int64, _ fields: SignedFields) -> [UInt8] {
        // One line per field, absent ones empty: no field can be shifted into another's place.
        let message = [
            method, key, String(expires), fields.contentType ?? "", fields.contentLength.map(String.init) ?? "",
            fields.downloadName ?? "", fields.uploadID ?? "", fields.partNumber.map(String.init) ?? "",
        ].joined(separator: "\n")
        return Array(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: self.key))
    }

    /// A URL relative to `base` (the Gateway's public address) that allows `method` on `key` until
    /// `expires`; a PUT with `contentType`/`contentLength` must send exactly those, a GET with
    /// `downloadName` is served as an attachment of that name, and `uploadID`/`partNumber` make it a
    /// multipart part's URL.
    public func presign(
        method: String, key: String, base: URL, expires: Duration, contentType: String? = nil, contentLength: Int64? = nil,
        downloadName: String? = nil, uploadID: String? = nil, partNumber: Int? = nil, now: Date = Date()
    ) throws -> URL {
        try Self.validate(key)
        let expiry = Int64(now.timeIntervalSince1970) + expires.components.seconds
        let fields = SignedFields(
            contentType: contentType, contentLength: contentLength, downloadName: downloadName,
            uploadID: uploadID, partNumber: partNumber)
        // Lowercase hex by table: String(format:) per byte took half of a status answer's time.
        let digits = Array("0123456789abcdef".utf8)
        let hex = String(
            decoding: signature(method: method, key: key, expires: expiry, fields).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] },
            as: UTF8.self)
        var components = URLComponents(url: base.appendingPathComponent("blob"), resolvingAgainstBaseURL: false)!
        components.percentEncodedPath +=
            "/"
            + key.split(separator: "/").map {
                String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? ""
            }.joined(separator: "/")
        components.queryItems =
            [URLQueryItem(name: "method", value: method), URLQueryItem(name: "expires", value: String(expiry))]
            + fields.queryItems + [URLQueryItem(name: "signature", value: hex)]
        return components.url!
    }

    /// Checks a request against its signed URL: method, key and expiry, and the content type and length
    /// when the URL signed them, must be the request's. Throws a typed error the Gateway turns into 403.
    public func verify(
        method: String, key: String, query: [String: String], contentType: String?, contentLength: Int64? = nil, now: Date = Date()
    ) throws {
        try Self.validate(key)
        guard let expiresText = query["expires"], let expires = Int64(expiresText), let hex = query["signature"],
            query["method"] == method
        else {
            throw BlobStoreError.signature("the URL is not signed for \(method)")
        }
        guard let given = Self.bytes(hex: hex), given.count == 32 else { throw BlobStoreError.signature("the signature is malformed") }
        let fields = SignedFields(query: query)
        if let signedType = fields.contentType, signedType != contentType {
            throw BlobStoreError.signature("the URL was signed for Content-Type \(signedType), not \(contentType ?? "none")")
        }
        if let signedLength = fields.contentLength, signedLength != contentLength {
            throw BlobStoreError.signature(
                "the URL was signed for \(signedLength) bytes, not \(contentLength.map(String.init) ?? "an unknown length")")
        }
        let expected = signature(method: method, key: key, expires: expires, fields)
        // Compared in constant time.
        guard given.count == expected.count, zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
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
