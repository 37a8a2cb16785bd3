extension SigV4Signer {
    /// The choices where services differ; ``init(service:)`` gives each service's defaults.
    public struct Options: Sendable, Hashable {
        /// URI-encode the request path again: every service but S3 signs the encoded path encoded
        /// once more. S3 signs the path encoded once.
        public var doubleURIEncode: Bool
        /// Remove `.`/`..` segments and repeated slashes from the path before signing (not for S3,
        /// where `a//b` and `a/./b` are distinct keys).
        public var normalizeURIPath: Bool
        /// Send and sign X-Amz-Content-Sha256 (S3 requires it on every request).
        public var addContentSHA256Header: Bool
        /// Add X-Amz-Security-Token after signing instead of signing it (some services, e.g. IoT, want this).
        public var omitSessionTokenFromSignature: Bool
        /// Which of the caller's headers go into the signature.
        public var signedHeaders: SignedHeaderPolicy

        public init(
            doubleURIEncode: Bool,
            normalizeURIPath: Bool,
            addContentSHA256Header: Bool,
            omitSessionTokenFromSignature: Bool = false,
            signedHeaders: SignedHeaderPolicy = .allSignable
        ) {
            self.doubleURIEncode = doubleURIEncode
            self.normalizeURIPath = normalizeURIPath
            self.addContentSHA256Header = addContentSHA256Header
            self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
            self.signedHeaders = signedHeaders
        }

        /// S3's rules for `s3`, the general SigV4 rules for any other signing name.
        public init(service: String) {
            let isS3 = service == "s3"
            self.init(doubleURIEncode: !isS3, normalizeURIPath: !isS3, addContentSHA256Header: isS3)
        }
    }

    /// Which request headers are signed. Host and every `x-amz-*` header are signed under both.
    public enum SignedHeaderPolicy: Sendable, Hashable {
        /// Every header except those a proxy or HTTP library may add, change or drop on the way
        /// (Transfer-Encoding, User-Agent, Connection, Expect, …), as the AWS SDKs do.
        case allSignable
        /// Only Host, `x-amz-*`, Content-Type and Content-MD5.
        case essential
    }
}

extension SigV4Signer.SignedHeaderPolicy {
    /// Headers never signed: aws-c-auth's skip list plus the other hop-by-hop headers.
    static let unsignable: Set<String> = [
        "transfer-encoding", "user-agent", "x-amzn-trace-id", "connection", "expect", "upgrade",
        "keep-alive", "proxy-connection", "te", "trailer",
        "sec-websocket-key", "sec-websocket-protocol", "sec-websocket-version",
    ]

    /// Whether the header with this lower-case name is signed.
    func signs(_ name: String) -> Bool {
        if Self.unsignable.contains(name) { return false }
        switch self {
        case .allSignable:
            return true
        case .essential:
            return name == "host" || name.hasPrefix("x-amz-") || name == "content-type" || name == "content-md5"
        }
    }
}
