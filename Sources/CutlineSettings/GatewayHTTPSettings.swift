public import ArgumentParser
public import CutlineRPC
public import Foundation

/// The Gateway's HTTP settings.
public struct GatewayOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("http-listen"),
        help: "Address to serve HTTP (the API and the page) on, HOST:PORT. Env CUTLINE_GATEWAY_HTTP_LISTEN, default 127.0.0.1:8080.")
    public var httpListen: String?

    @Option(
        name: .customLong("upload-max-bytes"), help: "Largest upload accepted, in bytes. Env CUTLINE_UPLOAD_MAX_BYTES, default 4294967296 (4 GiB).")
    public var uploadMaxBytes: String?

    @Option(
        name: .customLong("upload-multipart-threshold"),
        help: "Uploads from this size on go up in parts, in bytes. Env CUTLINE_UPLOAD_MULTIPART_THRESHOLD, default 67108864 (64 MiB).")
    public var uploadMultipartThreshold: String?

    @Option(
        name: .customLong("media-address"), help: "The MediaProcessor's RPC address, HOST:PORT. Env CUTLINE_MEDIA_ADDRESS, default 127.0.0.1:7420.")
    public var mediaAddress: String?

    @Option(name: .customLong("text-address"), help: "The TextService's RPC address, HOST:PORT. Env CUTLINE_TEXT_ADDRESS, default 127.0.0.1:7430.")
    public var textAddress: String?

    @Option(name: .customLong("api-token"), help: "When set, every /api call needs 'Authorization: Bearer TOKEN'. Env CUTLINE_API_TOKEN.")
    public var apiToken: String?

    @Option(
        name: .customLong("api-open"),
        help:
            "true: serve the API without a token on an address other machines reach (e.g. behind an authenticating proxy). Env CUTLINE_API_OPEN, default false."
    )
    public var apiOpen: String?

    public init() {}
}

public struct GatewayHTTPSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// Where links point (clip downloads, the embedded store's signed URLs).
    public var publicURL: URL
    public var maxUploadBytes: Int64
    public var multipartThreshold: Int64
    public var apiToken: String?
    /// Declared open: no token although the address is reachable from other machines.
    public var apiOpen: Bool
    public var mediaAddress: SocketAddress
    public var textAddress: SocketAddress

    public init(_ options: GatewayOptions?, publicURL: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func setting(_ flag: String, _ env: String, _ value: String?) -> Setting {
            Setting(flag: flag, env: env, value: value, environment: environment)
        }
        let listen = setting("http-listen", "CUTLINE_GATEWAY_HTTP_LISTEN", options?.httpListen)
        let text = listen.string(default: "127.0.0.1:8080")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port),
            !text[..<colon].isEmpty
        else {
            throw ValidationError("\(listen.name): \"\(text)\" is not HOST:PORT")
        }
        host = String(text[..<colon])
        self.port = port
        self.publicURL = try Setting(flag: "public-url", env: "CUTLINE_PUBLIC_URL", value: publicURL, environment: environment).publicURL()
        maxUploadBytes = Int64(
            try setting("upload-max-bytes", "CUTLINE_UPLOAD_MAX_BYTES", options?.uploadMaxBytes)
                .integer(default: 4 << 30, range: 1...(5 << 40)))
        multipartThreshold = Int64(
            try setting("upload-multipart-threshold", "CUTLINE_UPLOAD_MULTIPART_THRESHOLD", options?.uploadMultipartThreshold)
                .integer(default: 64 << 20, range: (5 << 20)...(5 << 30)))
        let token = setting("api-token", "CUTLINE_API_TOKEN", options?.apiToken)
        if let value = token.raw, value.count < 16 {
            throw ValidationError("\(token.name): a token of at least 16 characters, so it cannot be guessed")
        }
        apiToken = token.raw
        // Secure by default: an API other machines can reach needs a token, or the operator's word that
        // it is meant to be open.
        let open = setting("api-open", "CUTLINE_API_OPEN", options?.apiOpen)
        apiOpen = try open.boolean(default: false)
        if apiToken == nil, !apiOpen, !Self.isLoopback(host) {
            throw ValidationError(
                "\(listen.name) is \(text), which other machines can reach, and no CUTLINE_API_TOKEN is set: set CUTLINE_API_TOKEN (16 or more characters), or \(open.name)=true if the API is meant to be open (e.g. behind a proxy that authenticates)"
            )
        }
        let media = setting("media-address", "CUTLINE_MEDIA_ADDRESS", options?.mediaAddress)
        do {
            mediaAddress = try SocketAddress(parsing: media.string(default: "127.0.0.1:7420"))
        } catch {
            throw ValidationError("\(media.name): \(error)")
        }
        let textService = setting("text-address", "CUTLINE_TEXT_ADDRESS", options?.textAddress)
        do {
            textAddress = try SocketAddress(parsing: textService.string(default: "127.0.0.1:7430"))
        } catch {
            throw ValidationError("\(textService.name): \(error)")
        }
    }
}

extension GatewayHTTPSettings {
    /// A listen host that only this machine reaches: a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

extension Setting {
    /// An http(s) URL with a host (CUTLINE_PUBLIC_URL), default http://127.0.0.1:8080.
    func publicURL() throws -> URL {
        let text = string(default: "http://127.0.0.1:8080")
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ValidationError("\(name): \"\(text)\" is not an http(s) URL")
        }
        return url
    }
}
