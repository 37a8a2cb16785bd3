import CutlineSettings
import Foundation
import Hummingbird

/// Keeps browsers from being turned against the Gateway. A `Host` that is neither the public URL's nor a
/// loopback name is refused (421), so a page on a name that was rebound to this address (DNS rebinding)
/// gets nothing; an `Origin` that is neither the page's own nor a loopback one is refused (403), so a
/// page elsewhere cannot make a visitor's browser start or cancel jobs. The embedded store's signed URLs
/// (`/blob/…`) answer to any name: each carries its own signature, so a rebound name gains nothing, and
/// a MediaProcessor in another container reaches them by the Gateway's internal name.
struct OriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let publicURL: URL

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let host = request.head.authority, !request.uri.path.hasPrefix("/blob/"), !Self.allowsHost(host, publicURL: publicURL) {
            throw APIError(
                .misdirectedRequest, "wrong_host",
                "this Gateway answers as \(Self.authority(of: publicURL)) (CUTLINE_PUBLIC_URL) or on loopback, not as '\(host.prefix(100))'")
        }
        if let origin = request.headers[.origin], !Self.allowsOrigin(origin, publicURL: publicURL) {
            throw APIError(.forbidden, "cross_origin", "requests from pages at '\(origin.prefix(100))' are not accepted; use the Gateway's own page")
        }
        return try await next(request, context)
    }

    /// `host[:port]` of a URL, with its scheme's default port written out.
    static func authority(of url: URL) -> String {
        let host = (url.host ?? "").lowercased()
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// Splits `host[:port]` (IPv6 in brackets); the port is nil when absent.
    static func split(_ authority: String) -> (host: String, port: Int?)? {
        let text = authority.lowercased()
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (text, nil)
        case 2: return Int(parts[1]).map { (String(parts[0]), $0) }
        default: return nil
        }
    }

    static func allowsHost(_ value: String, publicURL: URL, defaultPort: Int = 80) -> Bool {
        guard let (host, port) = split(value) else { return false }
        if GatewayHTTPSettings.isLoopback(host) { return true }
        let expected = (publicURL.host ?? "").lowercased()
        let expectedPort = publicURL.port ?? (publicURL.scheme?.lowercased() == "https" ? 443 : 80)
        return host == expected && (port ?? (publicURL.scheme?.lowercased() == "https" ? 443 : defaultPort)) == expectedPort
    }

    static func allowsOrigin(_ value: String, publicURL: URL) -> Bool {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host
        else { return false }
        if GatewayHTTPSettings.isLoopback(host) { return true }
        return scheme == publicURL.scheme?.lowercased() && authority(of: url) == authority(of: publicURL)
    }
}
