import Crypto
import Foundation
import Hummingbird

/// The API's one credential, CUTLINE_API_TOKEN, and the two ways a caller shows it: the header
/// `Authorization: Bearer TOKEN` (scripts, the CLI), or the session cookie the page's sign-in form gets
/// for it. The cookie is HttpOnly, so no script on the page ever holds the token or the session, and
/// SameSite=Strict, so a page elsewhere cannot make a visitor's browser send it.
struct APICredential: Sendable {
    static let cookieName = "cutline_session"
    /// How long a sign-in lasts: a working day.
    static let sessionLifetime = 12 * 3600

    let token: [UInt8]
    /// Cookies over https only, when the public URL is https.
    let secureCookies: Bool

    init(token: String, publicURL: URL) {
        self.token = Array(token.utf8)
        secureCookies = publicURL.scheme?.lowercased() == "https"
    }

    /// The session is `EXPIRY.HMAC`, keyed by the token itself: nothing is stored, it cannot be forged
    /// without the token, and changing the token ends every session.
    private var key: SymmetricKey { SymmetricKey(data: token) }

    private static func message(expiry: Int) -> Data { Data("cutline-session v1 \(expiry)".utf8) }

    func acceptsToken(_ given: String) -> Bool { Self.sameBytes(Array(given.utf8), token) }

    func acceptsBearer(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return acceptsToken(String(header.dropFirst("Bearer ".count)))
    }

    /// Whether the request shows the token, as the header or the session cookie.
    func accepts(_ request: Request) -> Bool {
        acceptsBearer(request.headers[.authorization]) || acceptsSession(request.cookies[Self.cookieName]?.value)
    }

    func session(now: Date = Date()) -> Cookie {
        let expiry = Int(now.timeIntervalSince1970) + Self.sessionLifetime
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(expiry: expiry), using: key)
        let value = "\(expiry).\(mac.map { String(format: "%02x", $0) }.joined())"
        return Cookie(
            name: Self.cookieName, value: value, maxAge: Self.sessionLifetime, path: "/api", secure: secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    /// A cookie that ends the session in the browser (the value is worthless anyway once it expires).
    var signedOut: Cookie {
        Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/api", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    func acceptsSession(_ value: String?, now: Date = Date()) -> Bool {
        guard let value, value.utf8.count <= 100 else { return false }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let expiry = Int(parts[0]), expiry > Int(now.timeIntervalSince1970),
            let mac = Self.bytes(hex: parts[1]), mac.count == SHA256.byteCount
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Self.message(expiry: expiry), using: key)
    }

    /// Compared in constant time: how long a wrong guess takes says nothing about the token.
    static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// With `CUTLINE_API_TOKEN` set, `/api` calls need the token, as a header or as the page's session
/// cookie. Blob and clip URLs authenticate themselves by signature.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let credential: APICredential

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard credential.accepts(request) else {
            throw APIError(
                .unauthorized, "unauthorized",
                "this Gateway needs its token (CUTLINE_API_TOKEN): send 'Authorization: Bearer <token>', or sign in on the page")
        }
        return try await next(request, context)
    }
}
