/// A request the signer refuses to sign, with what was wrong with it.
public struct SigV4Error: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case reservedHeader
        case reservedQueryParameter
        case invalidExpiry
        case invalidURL
    }

    private let code: Code
    /// The header, query parameter or URL at fault.
    public let subject: String
    private let detail: String

    private init(_ code: Code, subject: String, detail: String) {
        self.code = code
        self.subject = subject
        self.detail = detail
    }

    /// The caller passed a header the signer sets itself (Authorization, X-Amz-Date, …).
    public static func reservedHeader(_ name: String) -> Self {
        Self(.reservedHeader, subject: name, detail: "the signer sets this header itself")
    }

    /// The URL to presign already carries a signing parameter (X-Amz-Signature, …).
    public static func reservedQueryParameter(_ name: String) -> Self {
        Self(.reservedQueryParameter, subject: name, detail: "the URL is already presigned or carries a signing parameter")
    }

    /// A presigned URL's lifetime must be whole seconds from 1 to 604800 (seven days, SigV4's maximum).
    public static func invalidExpiry(_ expires: Duration) -> Self {
        Self(.invalidExpiry, subject: "\(expires)", detail: "expiry must be whole seconds from 1 to 604800")
    }

    /// The URL is not an absolute http(s) URL with a host.
    public static func invalidURL(_ url: String) -> Self {
        Self(.invalidURL, subject: url, detail: "not an absolute http(s) URL with a host")
    }

    public var description: String {
        switch code {
        case .reservedHeader: "SigV4: header \(subject): \(detail)"
        case .reservedQueryParameter: "SigV4: query parameter \(subject): \(detail)"
        case .invalidExpiry: "SigV4: expiry \(subject): \(detail)"
        case .invalidURL: "SigV4: URL \(subject): \(detail)"
        }
    }
}
