package import Crypto  // signingKey(date:) hands a SymmetricKey to signature(stringToSign:signingKey:)
public import Foundation

/// AWS Signature Version 4 (HMAC-SHA256) for one service in one region, after soto-core's signer:
/// a value type with the clock injected and one function per step of the AWS documentation's
/// "Create a signed AWS API request": canonical request, string to sign, signing key, signature.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The payload hash for a body that is not signed (S3 presigned URLs, streamed uploads).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// Hex SHA-256 of the empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: AWSRegion
    /// The service's signing name (`s3`, `dynamodb`).
    public let service: String
    public var options: Options
    let clock: @Sendable () -> Date

    public init(
        credentials: AWSCredentials,
        region: AWSRegion,
        service: String,
        options: Options? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options ?? Options(service: service)
        self.clock = clock
    }

    public init(
        credentials: AWSCredentials,
        region: AWSRegion,
        service: AWSService,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.init(credentials: credentials, region: region, service: service.signingName, clock: clock)
    }

    /// Hex SHA-256 of `data`, the payload hash of a body held in memory.
    public static func payloadHash(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).hex
    }

    /// Signs `request` in headers: returns the headers to add to it (X-Amz-Date, X-Amz-Content-Sha256
    /// when ``Options/addContentSHA256Header`` is set, X-Amz-Security-Token, Authorization).
    public func signHeaders(request: SigV4Request) throws(SigV4Error) -> [(name: String, value: String)] {
        try headerSigning(request).addedHeaders
    }

    /// Every stage of a header signing, so tests can compare each with AWS's vectors.
    package struct HeaderSigning {
        package var canonicalRequest: String
        package var stringToSign: String
        package var signature: String
        package var addedHeaders: [(name: String, value: String)]
    }

    package func headerSigning(_ request: SigV4Request) throws(SigV4Error) -> HeaderSigning {
        try Self.checkNoReservedHeaders(request.headers)
        let time = RequestTime(clock())
        var added: [(name: String, value: String)] = [("X-Amz-Date", time.dateTime)]
        if options.addContentSHA256Header {
            added.append(("X-Amz-Content-Sha256", request.payloadHash))
        }
        var signed = request.headers + added
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            if !options.omitSessionTokenFromSignature {
                signed.append(("X-Amz-Security-Token", token))
            }
        }
        let headers = canonicalHeaders(signed, authority: request.authority)
        let canonical = canonicalRequest(
            method: request.method,
            canonicalURI: canonicalURI(path: request.path),
            canonicalQueryString: canonicalQueryString(Self.queryParameters(request.query)),
            canonicalHeaders: headers,
            payloadHash: request.payloadHash
        )
        let scope = credentialScope(time)
        let toSign = stringToSign(canonicalRequest: canonical, requestDateTime: time.dateTime, credentialScope: scope)
        let signature = self.signature(stringToSign: toSign, signingKey: signingKey(date: time.date))
        added.append(
            (
                "Authorization",
                "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
                    + "SignedHeaders=\(headers.signedHeaders), Signature=\(signature)"
            ))
        return HeaderSigning(canonicalRequest: canonical, stringToSign: toSign, signature: signature, addedHeaders: added)
    }

    // MARK: The spec's steps

    /// Step 1, "Create a canonical request": method, URI, query, headers, signed headers, payload hash.
    package func canonicalRequest(
        method: String,
        canonicalURI: String,
        canonicalQueryString: String,
        canonicalHeaders: CanonicalHeaders,
        payloadHash: String
    ) -> String {
        [method, canonicalURI, canonicalQueryString, canonicalHeaders.text, canonicalHeaders.signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    /// `date/region/service/aws4_request`.
    package func credentialScope(_ time: RequestTime) -> String {
        "\(time.date)/\(region.rawValue)/\(service)/aws4_request"
    }

    /// Steps 2 and 3, "Create a hash of the canonical request" and "Create a string to sign".
    package func stringToSign(canonicalRequest: String, requestDateTime: String, credentialScope: String) -> String {
        [Self.algorithm, requestDateTime, credentialScope, SHA256.hash(data: Data(canonicalRequest.utf8)).hex]
            .joined(separator: "\n")
    }

    /// Step 4, "Derive a signing key": HMAC chain over date, region, service and `aws4_request`.
    package func signingKey(date: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [date, region.rawValue, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key))
        }
        return key
    }

    /// Step 5, "Calculate the signature": hex HMAC-SHA256 of the string to sign.
    package func signature(stringToSign: String, signingKey: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey).hex
    }

    /// Headers the signer owns; a caller passing one would sign a value the signer then contradicts.
    static let reservedHeaders: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

    static func checkNoReservedHeaders(_ headers: [(name: String, value: String)]) throws(SigV4Error) {
        for header in headers where reservedHeaders.contains(header.name.lowercased()) {
            throw .reservedHeader(header.name)
        }
    }
}

/// The request's time in the two forms SigV4 uses: `20150830T123600Z` and `20150830`.
package struct RequestTime: Sendable {
    package let dateTime: String
    package let date: String

    package init(_ instant: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        date = pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
        dateTime = date + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }
}

extension Sequence<UInt8> {
    /// Lowercase hex, two digits a byte (without String(format:), which is slow on Linux).
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
